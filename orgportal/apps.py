from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OrgportalConfig(AppConfig):
    default = True
    name = "orgportal"
    verbose_name = "orgportal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from orgportal import checks  # noqa: F401  (registers the system checks)
        from orgportal.session_guard import session_sign_in_noted

        user_logged_in.connect(session_sign_in_noted, dispatch_uid="orgportal-signed-in-at")


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    """The Django admin with orgportal's site: Logto sign-in and live organization pages."""

    default_site = "orgportal.admin_site.PortalAdminSite"
