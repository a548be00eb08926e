"""The guard rails of the translations (issue 18): no visible text outside the translation
machinery in our templates, and German catalogues that are complete, unfuzzy, keep every
placeholder, have every plural form, and are compiled. Each checker is first shown a small
seeded example it must catch."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.conf import settings

from tests.translation_checks import (
    ROOT,
    all_template_findings,
    catalogue_findings,
    our_templates,
    placeholders,
    template_findings,
)

CATALOGUE_DOMAINS = ("django", "djangojs")


def catalogue(lang: str, domain: str) -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


def other_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES if code != "en"]


# -- 1. templates ----------------------------------------------------------------------------
SEEDED_TEMPLATE = textwrap.dedent(
    """\
    {% load i18n %}<!doctype html>
    <title>{% translate "Members" %} · {{ brand.product_name }}</title>
    <style>.x::before { content: "hello there"; }</style>
    <script>const words = "not checked";</script>
    {% comment %}Notes for developers, never shown.{% endcomment %}
    {# a note #}
    <h1>Members of {{ organization.name }}</h1>
    <p>{% blocktranslate trimmed with name=organization.name %}
      Welcome to {{ name }}!
    {% endblocktranslate %}</p>
    <button title="Remove this person" aria-label="{% translate 'Remove' %}">&times;</button>
    <input type="submit" value="Save changes"> <input type="hidden" name="a" value="keep_me">
    <input placeholder="{% translate 'Search' %}" data-confirm="Really delete?"
      data-confirm-count="#t input:checked">
    <img src="x.png" alt="Company logo"> <span>&middot; @ {{ n }} 12</span>
    {% blocktranslate count counter=n %}{{ counter }} member{% plural %}{{ counter }} members
    {% endblocktranslate %}
    <option label="Pick one" value="v">{% translate "Choose" %}</option>
    {% if x %}Yes{% endif %}
    <a hx-post="/x/" hx-confirm="Sure?" data-confirm-accept="{% translate 'Remove' %}">✓</a>
    """
)


def test_the_template_checker_catches_text_outside_translate_in_a_seeded_template():
    found = [str(f) for f in template_findings(SEEDED_TEMPLATE, "seeded.html")]
    assert found == [
        "seeded.html:7: Members of …",
        "seeded.html:11: Remove this person",
        "seeded.html:12: Save changes",
        "seeded.html:13: Really delete?",
        "seeded.html:15: Company logo",
        "seeded.html:18: Pick one",
        "seeded.html:19: …Yes…",
        "seeded.html:20: Sure?",
    ]


def test_the_template_checker_reads_plain_text_emails_line_by_line():
    source = (
        "{% load i18n %}{% translate 'Hello' %} {{ name }},\n\nJoin {{ org }} here:\n{{ link }}\n"
    )
    found = [str(f) for f in template_findings(source, "mail.txt", html_like=False)]
    assert found == ["mail.txt:3: Join … here:"]


def test_the_template_checker_looks_at_every_template_we_own():
    names = {str(p.relative_to(ROOT)) for p in our_templates()}
    assert "templates/base.html" in names
    assert "templates/orgportal/email/invitation.txt" in names
    assert "templates/admin/orgportal/organization.html" in names
    assert len(names) >= 30


def test_no_template_shows_text_outside_the_translation_machinery():
    findings = all_template_findings()
    files = sorted({f.where.rsplit(":", 1)[0] for f in findings})
    assert not findings, (
        f"{len(findings)} visible text(s) outside {{% translate %}}/{{% blocktranslate %}} "
        f"in {len(files)} template(s) (docs/translating.md):\n"
        + "\n".join(f"  {f}" for f in findings)
    )


# -- 2. catalogues ---------------------------------------------------------------------------
SEEDED_PO = textwrap.dedent(
    """\
    msgid ""
    msgstr ""
    "Language: de\\n"
    "Content-Type: text/plain; charset=UTF-8\\n"
    "Plural-Forms: nplurals=2; plural=(n != 1);\\n"

    msgid "Members"
    msgstr "Mitglieder"

    msgid "Settings"
    msgstr ""

    #, fuzzy
    msgid "Invite people"
    msgstr "Leute einladen"

    #, python-format
    msgid "%(name)s was removed from %(organization)s."
    msgstr "%(name)s wurde aus %(organisation)s entfernt."

    #, python-brace-format
    msgid "{actor} removed {target}."
    msgstr "{actor} hat jemanden entfernt."

    msgid "Page %s of %d"
    msgstr "Seite %d von %s"

    #, python-format
    msgid "%(counter)s member"
    msgid_plural "%(counter)s members"
    msgstr[0] "%(counter)s Mitglied"
    msgstr[1] ""

    #, python-format
    msgid "%(counter)s invitation"
    msgid_plural "%(counter)s invitations"
    msgstr[0] "%(counter)s Einladung"
    msgstr[1] "%(count)s Einladungen"

    #, python-format
    msgid "100%% done by %(name)s"
    msgstr "100%% erledigt von %(name)s"
    """
)


def test_the_catalogue_checker_catches_each_kind_of_problem_in_a_seeded_catalogue(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(SEEDED_PO, encoding="utf-8")
    found = [f.text for f in catalogue_findings(path, "seeded.po")]
    assert len(found) == 7, found
    assert found[0] == "untranslated: msgid 'Settings'"
    assert found[1] == "fuzzy: msgid 'Invite people'"
    assert "%(organisation)s" in found[2] and "%(organization)s" in found[2]
    assert "{actor}" in found[3] and "{target}" in found[3]
    assert "'Seite %d von %s'" in found[4]  # positional placeholders keep their order
    assert found[5] == "plural form(s) [1] missing: msgid '%(counter)s member'"
    assert found[6].startswith("msgstr[1] '%(count)s Einladungen'")
    assert all(f.where.startswith("seeded.po:") for f in catalogue_findings(path, "seeded.po"))


def test_placeholders_know_named_positional_and_literal_percent_and_braces():
    assert placeholders("%(a)s and %(b)d, {c} and {d!r}") == (
        ["%(a)s", "%(b)d", "{c}", "{d!r}"],
        [],
    )
    assert placeholders("%s of %d, {} and {0}") == ([], ["%s", "%d", "{}", "{0}"])
    assert placeholders("100%% sure, {{literal}}") == ([], [])


def test_a_catalogue_without_plural_forms_in_its_header_is_caught(tmp_path):
    path = tmp_path / "django.po"
    path.write_text('msgid ""\nmsgstr ""\n"Language: de\\n"\n', encoding="utf-8")
    assert [f.text for f in catalogue_findings(path, "x.po")] == [
        "the header has no Plural-Forms (nplurals=...)"
    ]


def test_every_language_but_english_has_its_catalogues():
    assert other_languages(), "settings.LANGUAGES lists no language besides English"
    missing = [
        str(catalogue(lang, domain).relative_to(ROOT))
        for lang in other_languages()
        for domain in CATALOGUE_DOMAINS
        if not catalogue(lang, domain).exists()
    ]
    assert not missing, (
        "missing catalogues (docs/translating.md, 'Adding a language'): " + ", ".join(missing)
    )


@pytest.mark.parametrize("lang", other_languages())
@pytest.mark.parametrize("domain", CATALOGUE_DOMAINS)
def test_the_catalogue_is_complete_unfuzzy_and_keeps_its_placeholders(lang, domain):
    path = catalogue(lang, domain)
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} does not exist")
    findings = catalogue_findings(path)
    assert not findings, f"{len(findings)} problem(s) in {path.relative_to(ROOT)}:\n" + "\n".join(
        f"  {f}" for f in findings
    )


@pytest.mark.parametrize("lang", other_languages())
@pytest.mark.parametrize("domain", CATALOGUE_DOMAINS)
def test_the_compiled_catalogue_is_not_older_than_its_source(lang, domain):
    po = catalogue(lang, domain)
    if not po.exists():
        pytest.fail(f"{po.relative_to(ROOT)} does not exist")
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing: run `make translations`"
    assert mo.stat().st_mtime >= po.stat().st_mtime, (
        f"{mo.relative_to(ROOT)} is older than its .po: run `make translations`"
    )
