"""Every page's examples, run in the readers' own runtime and checked as the suite checks them.

Each English page is opened in Chromium from the built site and its "Run in your browser" code
runs all of its examples (Pyodide in a Web Worker, ``_runtime/runner.py``: page order, one
namespace, doctest's comparison with the suite's option flags). Every example the suite finds
on the page (``tests/harness.py``) must be found in the browser too, in the same order, and
either give the tested output or be skipped for a reason the page shows: another SQLAlchemy
release line, or a ``not-in-browser`` box. The Russian pages show the same examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import harness
from tests.browser.runtime.conftest import Tally
from tests.browser.tab import Tab

#: At least this share of all examples (skipped ones included) must be verified in the browser.
VERIFIED_AT_LEAST = 0.90
RUN_ALL = "() => guideRun.load().then(() => guideRun.verify())"
PAGES = [page for page in harness.pages() if harness.parsed_examples(page)]


def site_page(source: Path) -> str:
    return "en/" + source.relative_to(harness.DOCS).with_suffix(".html").as_posix()


@pytest.mark.parametrize("source", PAGES, ids=[site_page(p) for p in PAGES])
def test_every_example_of_the_page_gives_the_tested_output_in_the_browser(
    source: Path, reader_tab: Tab, tally: Tally
):
    tab = reader_tab
    page = site_page(source)
    tab.page.set_default_timeout(180_000)
    tab.open(page)
    blocks = tab.page.evaluate(RUN_ALL)
    examples = harness.parsed_examples(source)
    shown = sum(block["examples"] for block in blocks)
    assert shown == len(examples), (
        f"{page} runs {shown} examples in the browser; the suite finds {len(examples)} in {source}"
    )
    where = source.relative_to(harness.ROOT)
    failures = []
    found = iter(examples)
    for block in blocks:
        for number in range(block["examples"]):
            example = next(found)
            if block["status"] == "other-line":
                tally.skipped[f"SQLAlchemy {block['reason']} only"] += 1
            elif block["status"] == "not-in-browser":
                tally.skipped[block["reason"]] += 1
            elif block["ok"][number]:
                tally.verified += 1
            else:
                tally.failed += 1
                failures.append(
                    f"{where}, line {example.line}:\n{example.parsed.source}"
                    f"expected:\n{example.parsed.want}got:\n{block['got'][number]}"
                )
    assert not failures, f"{len(failures)} examples differ in the browser:\n" + "\n".join(failures)
    assert not tab.console_errors + tab.page_errors, tab.console_errors + tab.page_errors
    assert not tab.blocked, f"{page} asked another site for {tab.blocked}"


def test_at_least_90_percent_of_all_examples_are_verified_in_the_browser(tally: Tally):
    # Runs after the pages above (pytest keeps a module's order); skipped examples count in
    # the total, so a growing not-in-browser box lowers the share.
    assert tally.total, "no page ran: run the whole module"
    assert tally.verified >= VERIFIED_AT_LEAST * tally.total, "\n".join(tally.lines())
