from django.urls import path

from orgportal.views import auth, dashboard, health, organizations

app_name = "orgportal"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("signin/failed/", auth.signin_failed, name="signin_failed"),
    path("orgs/<str:org_id>/", organizations.organization_home, name="organization_home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
