"""What Lighthouse finds on each audited page, where readers and search engines look."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.diagram_sources import all_diagrams
from tests.lighthouse.report import LANGUAGES, PERFORMANCE_FLOOR, SAMPLE, Report
from tests.site import page_weight

#: Pages that ask search engines not to list them, and why. Lighthouse counts ``noindex`` as a
#: failed SEO audit (is-crawlable), so their SEO score is not checked; every other category is.
NOT_INDEXED = {
    "search.html": "the search page shows nothing until a reader types a query, and search "
    "engines should not list a site's own search results (the theme marks it noindex)",
    "404.html": "the page GitHub Pages shows at a missing address (docs/_ext/publishing.py "
    "marks it noindex)",
}


def test_the_page_scores_at_least_98_for_performance(report: Report):
    floor = PERFORMANCE_FLOOR  # 98
    assert report.score("performance") >= floor, report.verdict("performance", floor)


@pytest.mark.parametrize("category", ["accessibility", "best-practices", "seo"])
def test_the_page_scores_100_for_accessibility_best_practices_and_seo(
    report: Report, category: str
):
    reason = NOT_INDEXED.get(report.page.split("/", 1)[1])
    if category == "seo" and reason:
        pytest.skip(f"{report.page} is kept out of search engines on purpose: {reason}")
    assert report.score(category) == 100, report.verdict(category, 100)


def test_only_the_pages_left_out_of_the_seo_score_are_kept_from_search_engines(report: Report):
    kept_out = report.page.split("/", 1)[1] in NOT_INDEXED
    assert report.passes("is-crawlable") != kept_out, (
        f"{report.page}: Lighthouse finds it {'' if report.passes('is-crawlable') else 'not '}"
        f"indexable; NOT_INDEXED in {Path(__file__).name} says the opposite"
    )


def test_no_script_holds_back_the_first_paint(report: Report):
    found = report.result["audits"]["render-blocking-resources"].get("details", {})
    blocking = [i["url"] for i in found.get("items", []) if i["url"].split("?")[0].endswith(".js")]
    assert not blocking, f"{report.page}: scripts that block the first paint: {blocking}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sample_holds_the_longest_page_the_glossary_search_and_a_diagram(
    site: Path, language: str
):
    pages = page_weight.pages(site, language)
    longest = max(pages, key=lambda path: path.stat().st_size).relative_to(site / language)
    assert longest.as_posix() in SAMPLE, (
        f"{language}/{longest} is the longest page now: add it to SAMPLE"
    )
    assert {"glossary.html", "search.html"} <= set(SAMPLE)
    assert {f"{diagram.page}.html" for diagram in all_diagrams()} & set(SAMPLE)
