"""What a reader does with "Run in your browser": start the runtime, run an example and see the
tested output, change one and see the difference, stop, reset, and come back on the next page,
even offline. (Every example of every page is run by ``nox -s doctest-browser``.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.tab import RUN_START as START
from tests.browser.tab import Server, Tab, new_tab
from tests.browser.test_every_page import BLOCKING_IMPACTS, Visit, axe_violations
from tests.serving import LANGUAGES

#: Pages whose last example runs in the browser, one of each part of the guide.
PAGES = ["core/engine", "core/results", "session/basics", "states/transitions", "orm/mapping"]
READY = re.compile(r"Python 3\.\d+\.\d+ .*SQLAlchemy 2\.1\.\d+")
WAIT = 120_000  # ms: a cold start compiles the runtime (about 15 MB) on a loaded CI machine
expect.set_options(timeout=WAIT)


def start(tab: Tab, page: str) -> None:
    tab.page.set_default_timeout(WAIT)
    tab.open(page)
    if not tab.page.evaluate("guideRun.remembered()"):  # else the page starts it by itself
        tab.page.get_by_role("button", name=START[page[:2]]).click()
    expect(tab.page.locator(".run-control .run-status")).to_have_text(READY)


def last_block(tab: Tab):
    return tab.page.locator(".run-block:has(.run-button)").last


def assert_clean(tab: Tab, page: str) -> None:
    errors = tab.console_errors + tab.page_errors
    assert not errors, f"{page}: {errors}"
    outside = tab.blocked + [u for u in tab.requests if not tab.is_local(u)]
    assert not outside, f"{page} asked another site for {outside}"
    failed = [f"{path} ({status})" for path, status in tab.server.log if status >= 400]
    assert not failed, f"the server could not answer {failed}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_the_last_example_run_in_the_browser_gives_the_tested_output(
    reader_tab: Tab, language: str, name: str
):
    tab = reader_tab
    page = f"{language}/{name}.html"
    start(tab, page)
    block = last_block(tab)
    block.locator(".run-button").click()
    expect(block.locator(".run-verdict")).to_have_class(re.compile(r"\brun-same\b"))
    shown = block.locator(".run-got").inner_text()
    assert shown.strip(), f"{page}: the last example printed nothing"
    assert_clean(tab, page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_changed_value_shows_its_own_output_and_how_it_differs(tab: Tab, language: str):
    start(tab, f"{language}/core/results.html")
    editor = tab.page.locator("textarea.run-code", has_text="players.c.id == 2")
    editor.fill(editor.input_value().replace("players.c.id == 2", "players.c.id == 1"))
    editor.press("Control+Enter")  # the keyboard runs it as the button does
    block = tab.page.locator(".run-block", has=editor)
    expect(block.locator(".run-verdict")).to_have_class(re.compile(r"\brun-different\b"))
    expect(block.locator(".run-diff del").first).to_contain_text("(2, 'b')")
    expect(block.locator(".run-diff ins").first).to_contain_text("(1, 'a')")
    # reset: the page's code again, and the tested output under it
    tab.page.locator(".run-reset").click()
    assert "players.c.id == 2" in editor.input_value()
    expect(block.locator(".run-tested")).to_contain_text("CursorResult (2, 'b')")
    block.locator(".run-button").click()
    expect(block.locator(".run-verdict")).to_have_class(re.compile(r"\brun-same\b"))


def test_stop_ends_an_example_that_never_ends_and_the_page_runs_again(tab: Tab):
    start(tab, "en/core/engine.html")
    block = last_block(tab)
    editor = block.locator("textarea")
    original = editor.input_value()
    editor.fill("while True:\n    pass\n")
    block.locator(".run-button").click()
    expect(block.locator(".run-button")).to_have_text("Stop")
    block.locator(".run-button").click()
    expect(tab.page.locator(".run-control .run-status")).to_contain_text("Stopped")
    editor.fill(original)
    block.locator(".run-button").click()
    expect(block.locator(".run-verdict")).to_have_class(re.compile(r"\brun-same\b"))


def test_the_runtime_loads_from_the_site_with_a_progress_bar_counting_bytes(tab: Tab):
    tab.page.set_default_timeout(WAIT)
    tab.open("en/core/engine.html")
    # every text the status line shows while the runtime loads
    tab.page.evaluate("""() => {
        window.seen = [];
        const status = document.querySelector('.run-control .run-status');
        new MutationObserver(() => seen.push(status.textContent)).observe(
            status, {childList: true, characterData: true, subtree: true});
    }""")
    first = len(tab.server.log)
    tab.page.get_by_role("button", name=START["en"]).click()
    expect(tab.page.locator(".run-control .run-status")).to_have_text(READY)
    loading = [t for t in tab.page.evaluate("seen") if t.startswith("Loading Python")]
    assert loading, "no progress was shown"
    assert "Starting Python…" in tab.page.evaluate("seen")[-2:], "no word once all was fetched"
    done = re.fullmatch(r"Loading Python: ([\d.]+) of ([\d.]+) MB", loading[-1])
    assert done, loading[-3:]
    assert done[1] == done[2], f"the bar stopped before the end: {loading[-3:]}"
    assert float(done[2]) > 5, f"too little for the runtime: {done[2]} MB"
    fetched = {path for path, _ in tab.server.log[first:]}
    assert "/_runtime/pyodide.asm.wasm" in fetched, sorted(fetched)
    assert_clean(tab, "en/core/engine.html")


def test_the_next_page_starts_the_runtime_from_the_cache_and_runs_offline(
    browser: Browser, server: Server
):
    tab = new_tab(browser, server)
    try:
        start(tab, "en/core/engine.html")
        # the next page, in the other language: started at once, nothing of the runtime fetched
        first = len(server.log)
        tab.open("ru/session/basics.html")
        expect(tab.page.locator(".run-control .run-status")).to_have_text(READY)
        fetched = {path for path, _ in server.log[first:] if path.startswith("/_runtime/")}
        # the manifest is asked for each time (it names the runtime), sw.js when it may change
        assert fetched <= {"/_runtime/manifest.json", "/_runtime/sw.js"}, sorted(fetched)
        # offline: a new start of the runtime comes from the cache alone
        tab.page.context.set_offline(True)
        tab.page.locator(".run-off").click()
        tab.page.get_by_role("button", name=START["ru"]).click()
        expect(tab.page.locator(".run-control .run-status")).to_have_text(READY)
        block = last_block(tab)
        block.locator(".run-button").click()
        expect(block.locator(".run-verdict")).to_have_class(re.compile(r"\brun-same\b"))
    finally:
        tab.page.context.close()


def test_examples_that_cannot_run_in_the_browser_say_why(tab: Tab):
    start(tab, "en/pool/queuepool.html")
    box = tab.page.locator(".not-in-browser").first
    expect(box.locator(".not-in-browser-reason")).to_contain_text("Not run in your browser")
    expect(box.locator(".run-skip").first).to_be_visible()
    assert box.locator("textarea").count() == 0  # shown as the page shows it, not editable
    other = tab.page.locator("details.sqlalchemy-line .run-skip")
    if other.count():
        expect(other.first).to_contain_text("SQLAlchemy 2.0")


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_serious_or_critical_violation_with_the_editors_open(tab: Tab, language: str):
    page = f"{language}/core/results.html"
    start(tab, page)
    block = tab.page.locator(".run-block:has(.run-button)").nth(2)
    block.locator(".run-button").click()
    expect(block.locator(".run-verdict")).to_be_visible()
    found = axe_violations(Visit(tab, page, []), "light") + axe_violations(
        Visit(tab, page, []), "dark", rules=["color-contrast"]
    )
    assert not found, f"{page} ({BLOCKING_IMPACTS}):\n  " + "\n  ".join(found)
