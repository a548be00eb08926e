from django.apps import AppConfig


class OrgportalConfig(AppConfig):
    name = "orgportal"
    verbose_name = "orgportal"

    def ready(self) -> None:
        from orgportal import checks  # noqa: F401  (registers the system checks)
