"""Real-browser fixtures: Debian's Chromium driven by Playwright, headless."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Playwright's sync API keeps an event loop in the test thread; the ORM calls made by
# fixtures there are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; browser tests must run in CI.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """`screenshot("name")` saves the page under artifacts/screenshots/ for a human to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}--{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, live_server, email: str) -> None:
    """Sign in through the emulator's Logto pages, as a person would."""
    from orgportal.logto import dev_defaults

    page.goto(live_server.url + "/oidc/authenticate/")
    page.get_by_label("Email / Username").fill(email)
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")


@pytest.fixture
def no_js_page(browser) -> Iterator:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1200, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
