"""The browser script speaks the page's language: a German browser (locale de-DE) reads
app.js's own sentences (the bulk bar's count, its toast, the confirmation) in German, and
without the catalogue (it failed to load) the same script still works, in English."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def german_page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 1200, "height": 800})
    context.set_default_timeout(10_000)
    return context


def team_of_three(live_emulator):
    state = live_emulator.state
    acme = next(o for o in state.organizations.values() if o.name == "Acme")
    for n in range(3):
        state.add_member(
            acme, state.add_user(f"team{n}@example.com", "pw", name=f"Team {n}"), ["member"]
        )
    return acme


def select_two_and_apply(page, live_server, acme):
    sign_in(page, live_server, "alice@example.com")
    page.goto(f"{live_server.url}/orgs/{acme.id}/members/?q=team")
    boxes = page.locator('#member-table input[name="members"]')
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(1).check()
    apply = page.locator('#bulk-form button[type="submit"]')
    apply.click()  # no action chosen: the script says what is missing
    return apply


def test_a_german_browser_reads_the_scripts_toast_and_confirmation_in_german(
    live_server, live_emulator, browser
):
    acme = team_of_three(live_emulator)
    context = german_page(browser)
    page = context.new_page()
    apply = select_two_and_apply(page, live_server, acme)

    expect(page.locator("[data-bulk-count]")).to_have_text("2 ausgewählt")
    expect(page.locator("#toasts")).to_contain_text(
        "Wählen Sie, was mit den ausgewählten Mitgliedern geschehen soll."
    )
    page.locator("#bulk-action").select_option("remove")
    apply.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog.locator("#confirm-dialog-text")).to_have_text("2 Mitglieder aus Acme entfernen?")
    expect(dialog.locator("#confirm-dialog-detail")).to_contain_text(
        "Ihre Konten bleiben bestehen."
    )
    expect(dialog.locator("[data-confirm-accept]")).to_have_text("Entfernen")
    context.close()


def test_without_the_catalogue_the_script_works_in_english(live_server, live_emulator, browser):
    acme = team_of_three(live_emulator)
    context = german_page(browser)
    context.route("**/jsi18n/**", lambda route: route.abort())
    page = context.new_page()
    select_two_and_apply(page, live_server, acme)

    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    expect(page.locator("#toasts")).to_contain_text("Choose what to do with the selected members.")
    context.close()
