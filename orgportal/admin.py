"""Local models in the admin: users (with their Logto organizations) and the audit trail."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from orgportal.models import AuditEvent, User


class StaffCanView:
    """Staff read everything here; only superusers change users, nobody edits the audit."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(User)
class UserAdmin(StaffCanView, DjangoUserAdmin):
    list_display = (
        "email",
        "name",
        "logto_id",
        "last_login",
        "is_staff",
        "is_superuser",
        "organizations",
    )
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "name", "logto_id", "username")
    readonly_fields = ("logto_id", "last_login", "date_joined", "organizations")
    fieldsets = (
        (None, {"fields": ("username", "logto_id", "organizations")}),
        (
            _("Profile (copied from Logto at each sign-in)"),
            {"fields": ("email", "email_verified", "name", "picture")},
        ),
        (
            _("Access (from Logto global roles at each sign-in)"),
            {"fields": ("is_active", "is_staff", "is_superuser")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("Organizations"))
    def organizations(self, obj: User) -> str:
        if not obj.pk or not obj.logto_id:
            return "—"
        url = reverse("admin:logto_user_organizations", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("In Logto"))


@admin.register(AuditEvent)
class AuditEventAdmin(StaffCanView, admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor_label",
        "action",
        "organization_name",
        "target_label",
        "outcome",
    )
    list_filter = (
        "outcome",
        "action",
        ("created_at", admin.DateFieldListFilter),
        "organization_name",
        ("actor", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "actor_label",
        "action",
        "organization_name",
        "organization_id",
        "target_label",
        "target_id",
        "request_id",
    )
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "actor_label",
        "action",
        "outcome",
        "organization",
        "target_type",
        "target_id",
        "target_label",
        "before_pretty",
        "after_pretty",
        "error",
        "request_id",
        "ip",
    )
    readonly_fields = fields
    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("Organization"))
    def organization(self, obj: AuditEvent) -> str:
        if not obj.organization_id:
            return "—"
        url = reverse("admin:logto_organization", args=[obj.organization_id])
        return format_html('<a href="{}">{}</a>', url, obj.organization_name or obj.organization_id)

    @admin.display(description=_("Before"))
    def before_pretty(self, obj: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.before, indent=2, ensure_ascii=False))

    @admin.display(description=_("After"))
    def after_pretty(self, obj: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.after, indent=2, ensure_ascii=False))
