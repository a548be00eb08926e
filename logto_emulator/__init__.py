"""A local stand-in for a Logto tenant (DESIGN.md §6): OIDC provider + Management API.

For development and tests only; it is never a production identity provider.
"""

from logto_emulator import defaults as dev_defaults
from logto_emulator.app import Emulator, Fault
from logto_emulator.seed import SEEDS
from logto_emulator.state import TenantState


def build_emulator(
    endpoint: str, *, seed: str = "demo", portal_urls: list[str] | None = None, **options
) -> Emulator:
    """An emulator at `endpoint`, filled with a named seed."""
    api_resources = options.pop("api_resources", None)
    email_connector = options.pop("email_connector", True)
    sign_in_mode = options.pop("sign_in_mode", "SignInAndRegister")
    emulator = Emulator(endpoint, **options)
    SEEDS[seed](emulator.state, portal_urls or [])
    emulator.state.email_connector = email_connector
    emulator.state.sign_in_mode = sign_in_mode
    emulator.api_resources.update(api_resources or [dev_defaults.API_RESOURCE])
    return emulator


__all__ = ["SEEDS", "Emulator", "Fault", "TenantState", "build_emulator"]
