"""Browser tests: the app served on a free local port, driven by Playwright in Debian's Chromium.

- ``live_url``: the base URL of the session's ``app`` (same database file, or the
  PostgreSQL database of the PostgreSQL pass) served by werkzeug in a background
  thread, so that the data a test module's ``seeded`` fixture commits is visible to it;
- ``browser``: Debian's ``chromium`` (never ``playwright install``: no browser
  download is possible here), headless, with the flags that keep it off the network;
- ``page``: a fresh French (``fr-FR``) browser context per test; ``console_errors``
  collects the console errors and uncaught exceptions of that page (a CSP violation
  is a console error);
- ``screenshot(page, name)``: saves ``test-artifacts/<name>.png`` (git-ignored).

Under CI a missing Chromium fails every e2e test; locally it skips them with the reason.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e carries the ``e2e`` marker (``-m 'not e2e'`` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _missing_browser(reason: str) -> None:
    if _in_ci():
        pytest.fail(
            f"{reason} — CI must run the browser tests (apt-get install chromium; "
            "never `playwright install`).",
            pytrace=False,
        )
    pytest.skip(f"{reason} (install Debian's chromium to run the browser tests)")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        _missing_browser("Debian's chromium is not installed")
    return path


@pytest.fixture(scope="session")
def live_server_url(app) -> Iterator[str]:
    """Serve the session's app on 127.0.0.1:<free port> in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture()
def live_url(live_server_url) -> str:
    return live_server_url


@pytest.fixture(scope="session")
def playwright_driver(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - playwright is a dev dependency
        _missing_browser(f"the playwright package is not importable ({error})")
    manager = sync_playwright()
    driver = manager.start()
    try:
        yield driver
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser(playwright_driver, chromium_path):
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture()
def console_errors() -> list[str]:
    """The console errors and uncaught page errors seen by ``page`` during the test."""
    return []


@pytest.fixture()
def page(browser, console_errors) -> Iterator:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: console_errors.append(f"console.{msg.type}: {msg.text}")
        if msg.type == "error"
        else None,
    )
    page.on("pageerror", lambda error: console_errors.append(f"pageerror: {error}"))
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    engine = "pg" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "sqlite"
    path = ARTIFACTS / f"{name}-{engine}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
