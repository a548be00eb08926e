from django.urls import path

from orgportal.views import auth, dashboard, health, organizations

app_name = "orgportal"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("signin/failed/", auth.signin_failed, name="signin_failed"),
    path("orgs/new/", organizations.organization_new, name="organization_new"),
    path("orgs/<str:org_id>/", organizations.organization_home, name="organization_home"),
    path(
        "orgs/<str:org_id>/settings/",
        organizations.organization_settings,
        name="organization_settings",
    ),
    path(
        "orgs/<str:org_id>/delete/",
        organizations.organization_delete_view,
        name="organization_delete",
    ),
    path(
        "orgs/<str:org_id>/leave/",
        organizations.organization_leave_view,
        name="organization_leave",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
