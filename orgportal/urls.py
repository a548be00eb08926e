from django.urls import path

from orgportal import converters  # noqa: F401  (registers <logto_id:...>)
from orgportal.views import (
    activity,
    api_keys,
    auth,
    dashboard,
    domains,
    health,
    invitations,
    invite_links,
    invitee_signup,
    language,
    members,
    organizations,
    webhooks,
)

app_name = "orgportal"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("signin/failed/", auth.signin_failed, name="signin_failed"),
    path("language/", language.language_set, name="language_set"),
    path("orgs/new/", organizations.organization_new, name="organization_new"),
    path("orgs/<logto_id:org_id>/", organizations.organization_home, name="organization_home"),
    path(
        "orgs/<logto_id:org_id>/invite-your-team/",
        organizations.organization_invite_team,
        name="organization_invite_team",
    ),
    path(
        "orgs/<logto_id:org_id>/settings/",
        organizations.organization_settings,
        name="organization_settings",
    ),
    path(
        "orgs/<logto_id:org_id>/security/",
        organizations.organization_security_view,
        name="organization_security",
    ),
    path(
        "orgs/<logto_id:org_id>/delete/",
        organizations.organization_delete_view,
        name="organization_delete",
    ),
    path(
        "orgs/<logto_id:org_id>/leave/",
        organizations.organization_leave_view,
        name="organization_leave",
    ),
    path(
        "orgs/<logto_id:org_id>/activity/",
        activity.organization_activity,
        name="organization_activity",
    ),
    path(
        "orgs/<logto_id:org_id>/activity/export.csv",
        activity.organization_activity_csv,
        name="organization_activity_csv",
    ),
    path("orgs/<logto_id:org_id>/api-keys/", api_keys.api_keys_page, name="api_keys"),
    path(
        "orgs/<logto_id:org_id>/api-keys/<uuid:key_id>/rotate/",
        api_keys.api_key_rotate_view,
        name="api_key_rotate",
    ),
    path(
        "orgs/<logto_id:org_id>/api-keys/<uuid:key_id>/revoke/",
        api_keys.api_key_revoke_view,
        name="api_key_revoke",
    ),
    path("orgs/<logto_id:org_id>/domains/", domains.domains_page, name="domains"),
    path(
        "orgs/<logto_id:org_id>/domains/<int:domain_id>/",
        domains.domain_action,
        name="domain_action",
    ),
    path(
        "orgs/<logto_id:org_id>/domains/joining/",
        domains.domain_join_settings,
        name="domain_join_settings",
    ),
    path(
        "orgs/<logto_id:org_id>/domains/requests/<int:request_id>/",
        domains.join_request_decide_view,
        name="join_request_decide",
    ),
    path("suggestions/<logto_id:org_id>/join/", domains.join_by_domain, name="join_by_domain"),
    path("orgs/<logto_id:org_id>/members/", members.members_page, name="members"),
    path("orgs/<logto_id:org_id>/members/bulk/", members.members_bulk_view, name="members_bulk"),
    path(
        "orgs/<logto_id:org_id>/members/two-step/",
        members.members_two_step,
        name="members_two_step",
    ),
    path(
        "orgs/<logto_id:org_id>/members/<logto_id:user_id>/roles/",
        members.member_roles,
        name="member_roles",
    ),
    path(
        "orgs/<logto_id:org_id>/members/<logto_id:user_id>/remove/",
        members.member_remove_view,
        name="member_remove",
    ),
    path("orgs/<logto_id:org_id>/invitations/", invitations.invitations_page, name="invitations"),
    path(
        "orgs/<logto_id:org_id>/invitations/new/",
        invitations.invitation_new,
        name="invitation_new",
    ),
    path(
        "orgs/<logto_id:org_id>/invitations/batches/<uuid:batch_id>/",
        invitations.invitation_batch_view,
        name="invitation_batch",
    ),
    path(
        "orgs/<logto_id:org_id>/invitations/<logto_id:invitation_id>/revoke/",
        invitations.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "orgs/<logto_id:org_id>/invitations/<logto_id:invitation_id>/resend/",
        invitations.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "orgs/<logto_id:org_id>/invitations/links/",
        invite_links.invite_links_page,
        name="invite_links",
    ),
    path(
        "orgs/<logto_id:org_id>/invitations/links/<uuid:link_id>/revoke/",
        invite_links.invite_link_revoke_view,
        name="invite_link_revoke",
    ),
    path("join/<str:token>/", invite_links.join_page, name="join"),
    path("invitations/", invitations.my_invitations_page, name="my_invitations"),
    path(
        "invitations/<logto_id:invitation_id>/", invitations.invitation_landing, name="invitation"
    ),
    path(
        "invitations/<logto_id:invitation_id>/accept/",
        invitations.invitation_accept_view,
        name="invitation_accept",
    ),
    path(
        "invitations/<logto_id:invitation_id>/decline/",
        invitations.invitation_decline_view,
        name="invitation_decline",
    ),
    path(
        "invitations/<logto_id:invitation_id>/create-account/",
        invitee_signup.invitation_account_create,
        name="invitation_account_create",
    ),
    path(
        "invitations/<logto_id:invitation_id>/switch/",
        invitations.invitation_switch_account,
        name="invitation_switch",
    ),
    path("webhooks/logto", webhooks.logto_webhook, name="logto_webhook"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
