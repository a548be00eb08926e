"""The Django admin for the product's staff: signed in through Logto, with live pages for
Logto's organizations next to the local models (users, the audit trail)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext, gettext_lazy

from orgportal import converters  # noqa: F401  (registers <logto_id:...>)


class PortalAdminSite(admin.AdminSite):
    site_header = gettext_lazy("orgportal staff")
    site_title = gettext_lazy("orgportal staff")
    index_title = gettext_lazy("Support")

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated and not request.user.is_staff:
            # Signed in, but Logto gives them no staff role: say so instead of looping.
            return render(
                request,
                "admin/orgportal/not_staff.html",
                {"staff_role": settings.ORGPORTAL_STAFF_ROLE, **self.each_context(request)},
                status=403,
            )
        if settings.ORGPORTAL_ADMIN_PASSWORD_LOGIN and request.GET.get("password"):
            return super().login(request, extra_context)
        query = urlencode({"next": next_url})
        return HttpResponseRedirect(f"{reverse('oidc_authentication_init')}?{query}")

    def get_urls(self):
        from orgportal import admin_views

        custom = [
            path(
                "logto/organizations/",
                self.admin_view(admin_views.organization_list),
                name="logto_organizations",
            ),
            path(
                "logto/organizations/<logto_id:org_id>/",
                self.admin_view(admin_views.organization_detail),
                name="logto_organization",
            ),
            path(
                "logto/domains/waiting/",
                self.admin_view(admin_views.domains_waiting),
                name="logto_domains_waiting",
            ),
            path(
                "logto/users/<int:user_pk>/organizations/",
                self.admin_view(admin_views.user_organizations),
                name="logto_user_organizations",
            ),
        ]
        return custom + super().get_urls()

    def get_app_list(self, request: HttpRequest, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label in (None, "logto"):
            apps.insert(
                0,
                {
                    "name": gettext("Logto (live)"),
                    "app_label": "logto",
                    "app_url": reverse("admin:logto_organizations"),
                    "has_module_perms": True,
                    "models": [
                        {
                            "name": gettext("Organizations"),
                            "object_name": "Organization",
                            "admin_url": reverse("admin:logto_organizations"),
                            "view_only": False,
                            "perms": {"view": True},
                        },
                        {
                            "name": gettext("Domains waiting for staff"),
                            "object_name": "OrganizationDomain",
                            "admin_url": reverse("admin:logto_domains_waiting"),
                            "view_only": True,
                            "perms": {"view": True},
                        },
                    ],
                },
            )
        return apps
