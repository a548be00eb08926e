from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("orgportal.api.urls")),
    path("", include("orgportal.urls")),
]

handler500 = "orgportal.views.errors.server_error"
