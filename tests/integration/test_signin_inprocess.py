import pytest

from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def test_alice_signs_in_and_sees_acme(client, emulator):
    sign_in(client, emulator, "alice@example.com")
    page = client.get("/")
    assert page.status_code == 200
    assert "Acme" in page.content.decode()
    assert "admin" in page.content.decode()
