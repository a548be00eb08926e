"""The portal's debug defaults must name the emulator's demo tenant, or `make run` breaks."""

from logto_emulator import defaults as emulator
from orgportal.logto import dev_defaults as portal


def test_debug_defaults_point_at_the_demo_tenant():
    for name in (
        "ENDPOINT",
        "WEB_APP_ID",
        "WEB_APP_SECRET",
        "M2M_APP_ID",
        "M2M_APP_SECRET",
        "MANAGEMENT_API_RESOURCE",
        "API_RESOURCE",
    ):
        assert getattr(portal, name) == getattr(emulator, name), name


def test_the_product_package_holds_no_demo_password():
    assert not hasattr(portal, "DEMO_PASSWORD")
