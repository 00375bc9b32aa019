"""The browser side of the checks: the local server, Chromium's settings, a recording tab."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: The "Run in your browser" control of a page with examples, in each language.
RUN_START = {"en": "Run the examples in your browser", "ru": "Запустить примеры в браузере"}
VIEWPORT = {"width": 1280, "height": 900}  # wide enough for the sidebar and the switcher in it
NEVER_FETCHED = ("data", "blob", "about")  # URL schemes the browser resolves without a request


@dataclass
class Server:
    url: str
    log: list[tuple[str, int]]  # (path, status) of every request it answered, in order


class RecordingHandler(SimpleHTTPRequestHandler):
    log: list[tuple[str, int]]

    def log_request(self, code="-", size="-") -> None:
        self.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # the recorded log is enough; keep the test output clean


@dataclass
class Tab:
    """One browser tab, with a record of everything it asked for and complained about."""

    page: Page
    server: Server
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.server.url}/{path}"

    def path(self, url: str) -> str:
        """The path under the site root of a URL of the local server (``en/index.html``)."""
        return unquote(urlsplit(url).path).lstrip("/")

    def open(self, path: str) -> None:
        self.page.goto(self.url(path), wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def is_local(self, url: str) -> bool:
        return urlsplit(url).scheme in NEVER_FETCHED or url.startswith(self.server.url + "/")


def new_context(browser: Browser, **context_options) -> BrowserContext:
    return browser.new_context(viewport=VIEWPORT, color_scheme="light", **context_options)


def new_tab(browser: Browser, server: Server, **context_options) -> Tab:
    """A tab in a browser context of its own: nothing cached, nothing stored."""
    return open_tab(new_context(browser, **context_options), server)


def open_tab(context: BrowserContext, server: Server) -> Tab:
    """A tab in ``context``, which keeps its caches and storage for the next tab."""
    page = context.new_page()
    tab = Tab(page, server)

    def guard(route: Route) -> None:
        if tab.is_local(route.request.url):
            route.continue_()
        else:
            tab.blocked.append(route.request.url)  # nothing leaves the machine
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            tab.console_errors.append(
                f"{message.text} ({where.get('url')}:{where.get('lineNumber')})"
            )

    page.context.route("**/*", guard)
    page.on("request", lambda request: tab.requests.append(request.url))
    page.on("console", console)
    page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
    return tab
