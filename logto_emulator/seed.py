"""Seeds that fill an emulator tenant. `demo` is the data DESIGN.md §5 promises."""

from __future__ import annotations

from logto_emulator import defaults as dev_defaults
from logto_emulator.state import Application, TenantState

# Logto's documented organization permissions and what each default role holds.
ADMIN_SCOPES = [
    "invite:member",
    "manage:member",
    "delete:member",
    "manage:organization",
    "delete:organization",
]
MEMBER_SCOPES: list[str] = []


def seed_applications(state: TenantState, portal_urls: list[str]) -> None:
    """The portal's two apps: a Traditional web app and an M2M app with Management API access."""
    state.applications[dev_defaults.WEB_APP_ID] = Application(
        id=dev_defaults.WEB_APP_ID,
        secret=dev_defaults.WEB_APP_SECRET,
        type="Traditional",
        name="orgportal",
        redirect_uris=[f"{url.rstrip('/')}/oidc/callback/" for url in portal_urls],
        post_logout_redirect_uris=[f"{url.rstrip('/')}/" for url in portal_urls],
    )
    state.applications[dev_defaults.M2M_APP_ID] = Application(
        id=dev_defaults.M2M_APP_ID,
        secret=dev_defaults.M2M_APP_SECRET,
        type="MachineToMachine",
        name="orgportal backend",
        management_api_access=True,
    )


def seed_demo(state: TenantState, portal_urls: list[str]) -> None:
    seed_applications(state, portal_urls)
    for scope in ADMIN_SCOPES:
        state.add_scope(scope)
    state.add_role("admin", ADMIN_SCOPES, "Manages the organization and its members")
    state.add_role("member", MEMBER_SCOPES, "Belongs to the organization")
    # Machine-to-machine roles for organization API keys, as `logto_bootstrap --apply` makes.
    state.add_role("API: read-only", [], "Reads the organization", role_type="MachineToMachine")
    state.add_role(
        "API: member management",
        ["invite:member", "manage:member", "delete:member"],
        "Invites, changes and removes members",
        role_type="MachineToMachine",
    )
    password = dev_defaults.DEMO_PASSWORD
    alice = state.add_user("alice@example.com", password, name="Alice Admin")
    bob = state.add_user("bob@example.com", password, name="Bob Member")
    state.add_user("carol@example.com", password, name="Carol Newcomer")
    # The product's support staff: the Django admin, through the portal-* global roles.
    state.add_user(
        "staff@example.com",
        password,
        name="Sam Support",
        global_roles=["portal-staff", "portal-superuser"],
    )
    acme = state.add_organization("Acme", "The demo organization")
    state.add_member(acme, alice, ["admin"])
    state.add_member(acme, bob, ["member"])


SEEDS = {"demo": seed_demo, "empty": seed_applications}
