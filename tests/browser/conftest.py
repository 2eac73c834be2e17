"""A real Chromium (Debian's, never a downloaded one) against pytest-django's live server.

One browser per session; every test gets a fresh context (cookies, language) and page. Every page
records the console, and a test fails when the Content Security Policy refused anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partnerdesk.accounts.models import User

CHROMIUM = Path(os.environ.get("PARTNERDESK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BACKEND = "partnerdesk.accounts.backends.OrganisationAwareBackend"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's `chromium` package); browser tests skipped")
    # Playwright's sync API keeps an event loop in the main thread; the test code's ORM calls are
    # still synchronous, so Django's async-safety guard must not refuse them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Console:
    """What the page reported: console errors and refused CSP directives."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def record(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    @property
    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "Content-Security-Policy" in e]


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """`open_page(locale="en-US", user=None)`: a page in a fresh context, signed in as `user` if given."""
    contexts: list[Any] = []
    consoles: list[Console] = []

    def make(*, locale: str = "en-US", user: User | None = None) -> Any:
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(5_000)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user, backend=BACKEND)
            cookie = client.cookies["sessionid"]
            context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        console = Console()
        consoles.append(console)
        page.on("console", console.record)
        page.console = console
        return page

    yield make
    for context in contexts:
        context.close()
    violations = [v for console in consoles for v in console.csp_violations]
    assert violations == [], f"Content Security Policy violations: {violations}"


def screenshot(page: Any, name: str) -> None:
    """Save a picture for a human to look at, when PARTNERDESK_SCREENSHOTS names a directory."""
    directory = os.environ.get("PARTNERDESK_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("form button[type=submit].primary")
