from django.contrib import admin
from django.urls import include, path

from orgportal.views.script_catalog import script_catalog

urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("orgportal.api.urls")),
    path("jsi18n/<str:language>/<str:version>.js", script_catalog, name="script_catalog"),
    path("", include("orgportal.urls")),
]

handler500 = "orgportal.views.errors.server_error"
