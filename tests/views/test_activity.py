import pytest

from orgportal.services.organizations import organization_update
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def test_admins_read_their_organizations_activity_newest_first(client, emulator, acme, alice):
    for n in range(30):
        organization_update(actor=alice, organization_id=acme.id, name=f"Acme {n}")
    login_as(client, emulator, "alice@example.com")
    response = client.get(f"/orgs/{acme.id}/activity/")
    first = response.content.decode()
    assert "Page 1 of 2" in first and "organization.updated" in first
    newest = [event.after["name"] for event in response.context["page"].object_list[:2]]
    assert newest == ["Acme 29", "Acme 28"]
    fragment = client.get(
        f"/orgs/{acme.id}/activity/?page=2", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and "Page 2 of 2" in fragment


def test_other_organizations_activity_is_404(client, emulator, acme):
    other = emulator.state.add_organization("Other")
    emulator.state.add_member(other, emulator.state.user_by_email("carol@example.com"), ["admin"])
    login_as(client, emulator, "carol@example.com")
    assert client.get(f"/orgs/{acme.id}/activity/").status_code == 404
    assert client.get(f"/orgs/{other.id}/activity/").status_code == 200


def test_user_typed_html_is_escaped(client, emulator, acme, alice):
    organization_update(actor=alice, organization_id=acme.id, name="<script>alert('x')</script>")
    login_as(client, emulator, "alice@example.com")
    body = client.get(f"/orgs/{acme.id}/activity/").content.decode()
    assert "<script>alert('x')</script>" not in body
