"""Every page of both languages, opened once in the browser: what it loads, what it reports,
and what axe-core finds about its accessibility, in the light and in the dark colour scheme."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.tab import RUN_START, Server, Tab, new_tab
from tests.site import page_weight

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: What a reader must never meet; axe's "moderate" and "minor" findings are not failures.
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass
class Visit:
    tab: Tab
    page: str
    served: list[tuple[str, int]]  # what the server answered while the page loaded


@pytest.fixture(scope="module")
def visit(browser: Browser, server: Server, page: str) -> Iterator[Visit]:
    tab = new_tab(browser, server)
    first = len(server.log)
    tab.open(page)
    try:
        yield Visit(tab, page, server.log[first:])
    finally:
        tab.page.context.close()


def test_the_page_reports_no_console_error_and_no_script_error(visit: Visit):
    errors = visit.tab.console_errors + visit.tab.page_errors
    assert not errors, f"{visit.page}: " + "; ".join(errors)


def test_every_request_of_the_page_goes_to_the_local_server(visit: Visit):
    outside = visit.tab.blocked + [u for u in visit.tab.requests if not visit.tab.is_local(u)]
    assert not outside, f"{visit.page} asked another site for: {sorted(set(outside))}"


def test_the_server_has_every_file_the_page_asks_for(visit: Visit):
    failed = [f"{path} ({status})" for path, status in visit.served if status >= 400]
    assert not failed, f"{visit.page}: the server could not answer {failed}"


def test_the_page_declares_its_icon_so_no_browser_asks_for_favicon_ico(visit: Visit, site: Path):
    # Browsers ask for /favicon.ico, and log an error when it is missing, unless the page names
    # its icon. (Playwright's request interception hides that request, so it is checked here.)
    icon = visit.tab.page.evaluate(
        "() => document.querySelector('link[rel~=icon]')?.getAttribute('href') ?? null"
    )
    assert icon, f"{visit.page} declares no <link rel=icon>"
    assert (site / visit.page).parent.joinpath(icon.split("?")[0]).resolve().is_file(), icon


def test_the_page_weight_check_counts_every_file_the_page_loads(visit: Visit, site: Path):
    counted = set(page_weight.weigh(site / visit.page, site).files)
    loaded = {
        (site / visit.tab.path(url)).resolve()
        for url in visit.tab.requests
        if url.startswith(visit.tab.server.url + "/")
    }
    uncounted = sorted(str(p.relative_to(site)) for p in loaded - counted)
    assert not uncounted, (
        f"{visit.page} loads files that tests/site/page_weight.py does not count: {uncounted}"
    )


def axe_violations(visit: Visit, colour_scheme: str, rules: list[str] | None = None) -> list[str]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} not found: run `npm ci --prefix tests/browser`")
    page = visit.tab.page
    page.emulate_media(color_scheme=colour_scheme)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    violations = page.evaluate("options => axe.run(document, options)", options)["violations"]
    found = []
    for violation in violations:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        targets = [" ".join(node["target"]) for node in violation["nodes"]]
        found.append(
            f"{violation['id']} ({violation['impact']}, {len(targets)} elements): "
            f"{violation['help']}; e.g. {targets[:3]}"
        )
    return found


def test_axe_finds_no_serious_or_critical_violation(visit: Visit):
    found = axe_violations(visit, "light")
    assert not found, f"{visit.page}:\n  " + "\n  ".join(found)


def test_axe_finds_enough_colour_contrast_in_the_dark_scheme(visit: Visit):
    found = axe_violations(visit, "dark", rules=["color-contrast"])
    assert not found, f"{visit.page} (dark):\n  " + "\n  ".join(found)


def test_a_page_with_examples_offers_to_run_them_in_its_own_language(visit: Visit):
    shows_examples = visit.tab.page.evaluate(
        "() => [...document.querySelectorAll('article div.highlight > pre')]"
        ".some(pre => pre.textContent.startsWith('>>>'))"
    )
    control = visit.tab.page.locator(".run-control .run-start")
    if shows_examples:
        expect(control).to_have_text(RUN_START[visit.page[:2]])
    else:
        assert control.count() == 0, f"{visit.page} has no example to run"
