import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

# After setup, so that it judges the final settings; every WSGI server (gunicorn, runserver)
# imports this module before serving anything.
from orgportal.deployment import ensure_safe_to_serve  # noqa: E402

ensure_safe_to_serve()
