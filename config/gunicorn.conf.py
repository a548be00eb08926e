"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be changed through the environment (names below); the defaults suit one
instance of a few instances behind a proxy.
"""

import os

from config.env import env
from config.logs import logging_config

# Where to listen. Behind a proxy or a load balancer, on all interfaces of the container or VM.
bind = env.str("GUNICORN_BIND", default=f"0.0.0.0:{env.int('PORT', default=8000)}")

# Threads, because a request mostly waits on Logto's Management API, and a waiting thread costs
# far less memory than a waiting process. Each thread may keep one PostgreSQL connection
# (CONN_MAX_AGE), so instances x workers x threads must stay below PostgreSQL's max_connections
# (100 by default): 2 x 4 = 8 per instance. Scale out with more instances, or raise these.
worker_class = "gthread"
workers = env.int("WEB_CONCURRENCY", default=2)
threads = env.int("GUNICORN_THREADS", default=4)

# A gthread worker reports to the master from its main loop, not from the request threads, so
# `timeout` only kills a worker that is wedged as a whole (deadlock, a C call that never
# returns); slow requests are bounded by the Logto client's own timeouts instead.
timeout = env.int("GUNICORN_TIMEOUT", default=30)
# On SIGTERM (a deploy, a scale-in), stop accepting and let requests in flight finish for up to
# this long. Below the 30 s most orchestrators wait before SIGKILL (Kubernetes, ECS), so that
# gunicorn, not the kill, decides what is cut off.
graceful_timeout = env.int("GUNICORN_GRACEFUL_TIMEOUT", default=25)
# Seconds an idle connection from the proxy stays open for its next request. A proxy that
# reuses upstream connections must close them before gunicorn does (its idle timeout below
# this), or a request sent on a connection gunicorn just closed fails with a 502.
keepalive = env.int("GUNICORN_KEEPALIVE", default=5)

# The proxies whose X-Forwarded-Proto gunicorn believes (comma-separated addresses or networks,
# `*` for any when only the proxy can reach the portal). The portal itself reads the forwarded
# headers when DJANGO_BEHIND_PROXY=true.
forwarded_allow_ips = env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")

# Logs go to stdout in the portal's format (JSON lines outside debug, config/logs.py). The
# access lines are the portal's own (with the request id, written by orgportal.request_context);
# config/logs.py silences gunicorn's.
logconfig_dict = logging_config()
proc_name = "orgportal"

# Workers touch a heartbeat file every second; on a disk-backed /tmp (Docker's overlay) that
# can stall a worker long enough for the master to kill it. (gunicorn makes the file with
# mkstemp, so a shared directory is safe.)
_SHARED_MEMORY = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHARED_MEMORY):
    worker_tmp_dir = _SHARED_MEMORY

# gunicorn's control socket (gunicornc) is one fixed path per user: a second instance on the
# same machine would take it over. The portal needs none of its commands.
control_socket_disable = True


def on_starting(server) -> None:
    """ORGPORTAL_SINGLE_PROCESS=true promises one process for a per-process cache: hold to it."""
    if env.bool("ORGPORTAL_SINGLE_PROCESS", default=False) and server.cfg.workers != 1:
        # gunicorn prints a RuntimeError raised here as "Error: ..." and exits with status 1.
        raise RuntimeError(
            "orgportal cannot start: ORGPORTAL_SINGLE_PROCESS=true allows exactly one process, "
            f"but gunicorn would start {server.cfg.workers} workers; set WEB_CONCURRENCY=1 "
            "(or REDIS_URL, and ORGPORTAL_SINGLE_PROCESS=false)."
        )
