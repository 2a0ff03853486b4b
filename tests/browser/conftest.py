"""Browser tests: the whole system (full simulation, so runs keep daily results) driven by
Debian's headless Chromium through Playwright. Skipped only when /usr/bin/chromium is absent."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.system import System, start_system, stop_system

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = start_system(tmp_path_factory.mktemp("scpln-browser"), {"SCPLN_SKIP_SIMULATION_API": "0"})
    try:
        yield running
    finally:
        stop_system(running)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Chromium, per module: Playwright's sync API runs an event loop in this thread while it is
    started, and no asyncio test can run after it until it stops (the suite runs modules in any
    order on its workers)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (make browser-deps) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login page, as a person would."""
    page.goto("/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_url("**/ui/**")


@pytest.fixture(scope="module")
def admin_state(browser, system):  # type: ignore[no-untyped-def]
    """The admin's signed-in browser state (its session cookie), made once through the login page."""
    ctx = browser.new_context(base_url=system.base_url)
    page = ctx.new_page()
    sign_in(page, "admin", system.admin_password)
    state = ctx.storage_state()
    ctx.close()
    return state


@pytest.fixture()
def context(browser, system, admin_state):  # type: ignore[no-untyped-def]
    """A browser signed in as the admin."""
    ctx = browser.new_context(base_url=system.base_url, viewport={"width": 1366, "height": 900},
                              storage_state=admin_state)
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot to screenshots/ (not committed) to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
