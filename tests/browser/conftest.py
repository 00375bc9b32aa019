"""A built site in a real browser: headless Chromium, driven by Playwright.

``nox -s browser`` runs these checks with ``--browser --site _build/site`` (build the site first
with ``nox -s docs``); the root conftest.py leaves this folder out otherwise. The tests serve the
site themselves on 127.0.0.1 at a free port, and every request the browser makes is recorded:
one that would leave the machine is blocked and reported. The browser is Debian's ``chromium``
package, never a browser that Playwright downloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.browser.tab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RecordingHandler,
    Server,
    Tab,
    new_context,
    new_tab,
    open_tab,
)
from tests.serving import LANGUAGES, serving, site_option
from tests.site import page_weight


def site_pages(config: pytest.Config) -> list[str]:
    """Every page of both languages, as paths under the site root (``en/core/engine.html``)."""
    site = site_option(config, "tests/browser")
    return [
        page.relative_to(site).as_posix()
        for language in LANGUAGES
        for page in page_weight.pages(site, language)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``page``: every page of both languages; ``english_page``: every English page."""
    if "page" in metafunc.fixturenames:
        pages = site_pages(metafunc.config)
        metafunc.parametrize("page", pages, ids=pages, scope="module")
    if "english_page" in metafunc.fixturenames:
        pages = [p for p in site_pages(metafunc.config) if p.startswith("en/")]
        metafunc.parametrize("english_page", pages, ids=pages, scope="module")


@pytest.fixture(scope="session")
def site(request) -> Path:
    return site_option(request.config, "tests/browser")


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[Server]:
    log: list[tuple[str, int]] = []
    handler = type("Handler", (RecordingHandler,), {"log": log})
    with serving(site, handler) as url:
        yield Server(url, log)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def tab(browser: Browser, server: Server) -> Iterator[Tab]:
    tab = new_tab(browser, server)
    try:
        yield tab
    finally:
        tab.page.context.close()


@pytest.fixture(scope="session")
def reader_context(browser: Browser) -> Iterator[BrowserContext]:
    """One browser context for the tests that ask for it, as a reader has: what the first page
    fetched and stored (the runtime in the service worker's cache) serves the next page."""
    context = new_context(browser)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def reader_tab(reader_context: BrowserContext, server: Server) -> Iterator[Tab]:
    tab = open_tab(reader_context, server)
    try:
        yield tab
    finally:
        tab.page.close()
        reader_context.unroute_all()  # the tab's guard: the next tab records its own requests
