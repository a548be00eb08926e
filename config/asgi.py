import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_asgi_application()

# After setup, so that it judges the final settings (see config/wsgi.py).
from orgportal.deployment import ensure_safe_to_serve  # noqa: E402

ensure_safe_to_serve()
