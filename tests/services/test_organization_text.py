"""Organization names and descriptions: one rule for every entry point (forms, JSON API,
admin, services), so no line break or invisible direction mark ever reaches Logto, the pages
or an email header."""

from __future__ import annotations

import pytest

from orgportal.services.errors import ApplicationError
from orgportal.services.organizations import organization_create, organization_update

pytestmark = pytest.mark.django_db

UNSAFE = [
    "Acme\nBcc: eve@example.com",
    "Acme\r\nCorp",
    "Acme\tCorp",
    "Acme\x00",
    "Acme\x7f",
    "Acme\u0085Corp",  # NEL, a C1 control
    "Acme\u202eCorp",  # right-to-left override
    "Acme\u202a",
    "\u2066Acme\u2069",  # isolates
    "Acme\u200e",  # left-to-right mark
    "Acme\u200f",
    "Acme\u061c",  # Arabic letter mark
    "Acme\u2028Corp",  # line separator
]
SENTENCE = "cannot contain line breaks, tabs or invisible control characters."


@pytest.mark.parametrize("name", UNSAFE)
def test_create_refuses_control_and_direction_characters_in_the_name(emulator, alice, name):
    count = len(emulator.state.organizations)
    with pytest.raises(ApplicationError) as caught:
        organization_create(actor=alice, name=name)
    assert caught.value.message == f"The name {SENTENCE}"
    assert len(emulator.state.organizations) == count


def test_create_refuses_them_in_the_description(emulator, alice):
    with pytest.raises(ApplicationError) as caught:
        organization_create(actor=alice, name="Zeta", description="one\u202etwo")
    assert caught.value.message == f"The description {SENTENCE}"
    assert not any(o.name == "Zeta" for o in emulator.state.organizations.values())


@pytest.mark.parametrize("field", ["name", "description"])
def test_update_refuses_them_too(emulator, acme, alice, field):
    values = {"name": "Acme", "description": "", field: "Acme\u202e2"}
    with pytest.raises(ApplicationError):
        organization_update(actor=alice, organization_id=acme.id, **values)
    assert (acme.name, acme.description) == ("Acme", "The demo organization")


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_a_blank_name_is_refused_in_the_forms_words(emulator, acme, alice, name):
    with pytest.raises(ApplicationError) as caught:
        organization_create(actor=alice, name=name)
    assert caught.value.message == "Give the organization a name."
    with pytest.raises(ApplicationError) as caught:
        organization_update(actor=alice, organization_id=acme.id, name=name)
    assert caught.value.message == "Give the organization a name."
    assert acme.name == "Acme"


def test_a_name_too_long_after_trimming_is_refused(emulator, alice):
    with pytest.raises(ApplicationError) as caught:
        organization_create(actor=alice, name="x" * 129)
    assert caught.value.message == "Keep the name to 128 characters or fewer."


def test_letters_of_every_script_and_punctuation_are_fine(emulator, alice):
    org = organization_create(actor=alice, name="  Ærø & Söhne \u2013 株式会社 (עברית)  ")
    assert org.name == "Ærø & Söhne \u2013 株式会社 (עברית)"


def test_line_breaks_typed_into_the_description_become_spaces(emulator, acme, alice):
    organization_update(
        actor=alice, organization_id=acme.id, name="Acme", description="one\r\ntwo\nthree"
    )
    assert acme.description == "one two three"
