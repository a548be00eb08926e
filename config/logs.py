"""Logging for Django and gunicorn alike: one line per record on stdout, JSON outside debug.

JSON lines are what log collectors (Loki, CloudWatch, Datadog, Elastic) parse without rules;
each carries the request id of the request it belongs to (orgportal.request_context), so one
search finds every line of a request across instances. Debug (`make run`) keeps readable text.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env

_FORMATS = ("json", "text")


def log_format() -> str:
    """ORGPORTAL_LOG_FORMAT, by default json outside debug and text in debug."""
    default = "text" if env.bool("DJANGO_DEBUG", default=False) else "json"
    chosen = env.str("ORGPORTAL_LOG_FORMAT", default=default).lower()
    if chosen not in _FORMATS:
        raise ImproperlyConfigured(f"ORGPORTAL_LOG_FORMAT must be json or text, not {chosen!r}.")
    return chosen


def logging_config() -> dict[str, Any]:
    """The dictConfig for Django's LOGGING and gunicorn's logconfig_dict."""
    debug = env.bool("DJANGO_DEBUG", default=False)
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        }
        if log_format() == "json"
        else {"format": "%(levelname)s %(name)s %(message)s"}
    )
    console = {"level": "INFO", "handlers": ["console"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "orgportal.request_context.RequestIdLogFilter"}},
        "formatters": {"line": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "line",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {
            # Django's own lines through our handler only: its default adds a plain-text one
            # in debug (each line twice) and mails ADMINS outside debug (none are set).
            "django": console,
            "orgportal": {"level": env.str("ORGPORTAL_LOG_LEVEL", default="INFO")},
            # One line per request with its status and duration; runserver writes its own in
            # debug.
            "orgportal.access": {"level": "WARNING" if debug else "INFO"},
            # gunicorn's own lines (start, workers, errors) in the same format and stream. Its
            # access lines are off: orgportal.access writes them, with the request id.
            "gunicorn.error": console,
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
