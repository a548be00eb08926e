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
    from logto_emulator import defaults as dev_defaults

    page.goto(live_server.url + "/oidc/authenticate/")
    page.get_by_label("Email / Username").fill(email)
    page.get_by_label("Password").fill(dev_defaults.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")


def confirm_in_dialog(page) -> None:
    """Accept the portal's confirmation <dialog> (app.js), which replaced the browser's
    confirm(): it must name what happens, so it must be open and say something."""
    from playwright.sync_api import expect

    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).not_to_be_empty()
    dialog.get_by_role("button", name="Confirm").click()


@pytest.fixture
def no_js_page(browser) -> Iterator:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1200, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# -- accessibility: axe-core on every page a journey shows ------------------------------------
AXE_REPORT: list[dict] = []
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture
def look(request):
    """`look(page, "name")`: screenshot the page and run axe-core on it (no serious or
    critical violation allowed); at 375 px also check that nothing scrolls sideways."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def check(page, name: str, *, run_axe: bool = True) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}--{name}.png"), full_page=True)
        if not run_axe:  # axe-core itself is JavaScript: pages viewed with JS off skip it
            return
        violations = axe.run(page).response["violations"]
        AXE_REPORT.append(
            {
                "journey": request.node.name,
                "page": name,
                "url": page.url,
                "violations": [(v["id"], v["impact"], len(v["nodes"])) for v in violations],
            }
        )
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, f"{name} ({page.url}): " + "; ".join(blocking)
        if (page.viewport_size or {}).get("width", 1000) <= 400:
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{name} scrolls sideways at 375 px"

    return check


def pytest_sessionfinish(session, exitstatus) -> None:
    if not AXE_REPORT:
        return
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    lines = ["| journey | page | violations (id, impact, nodes) |", "| --- | --- | --- |"]
    for row in AXE_REPORT:
        found = ", ".join(f"{i} ({impact}, {n})" for i, impact, n in row["violations"]) or "none"
        lines.append(f"| {row['journey']} | {row['page']} | {found} |")
    (ARTIFACTS.parent / "axe-report.md").write_text("\n".join(lines) + "\n")
