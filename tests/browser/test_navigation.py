"""Moving around the site as a reader does: the language switcher and the search box."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.tab import Tab

SWITCHER_LINK = "nav.language-switcher a[hreflang='{}']"


def switch_language(tab: Tab, language: str) -> None:
    link = tab.page.locator(SWITCHER_LINK.format(language))
    assert link.count() == 1, f"{tab.path(tab.page.url)} has no switcher link to {language!r}"
    with tab.page.expect_navigation():
        link.click()


def test_the_language_switcher_leads_to_the_same_page_in_russian_and_back(
    tab: Tab, english_page: str
):
    russian_page = "ru/" + english_page.removeprefix("en/")
    tab.open(english_page)

    for start, language, twin in (
        (english_page, "ru", russian_page),
        (russian_page, "en", english_page),
    ):
        switch_language(tab, language)
        landed = tab.path(tab.page.url)
        assert landed == twin, f"the switcher of {start} leads to {landed}, not to {twin}"
        assert tab.page.locator("html").get_attribute("lang") == language, landed


#: Queries a reader types, and the page that must be among the results. The Russian ones are
#: inflected forms: the search must find the page through the word's stem.
SEARCHES = [
    ("en", "sessions", "session/basics"),
    ("en", "QueuePool", "pool/queuepool"),
    ("en", "expire_on_commit", "asyncio/session"),
    ("ru", "сессией", "session/basics"),
    ("ru", "соединения", "core/connections"),
    ("ru", "пулом", "pool/queuepool"),
    ("ru", "транзакцией", "core/transactions"),
]
# Sphinx sets the heading to "Search Results" when the search is over. (Its pulse status is no
# signal: a pending animation step can set it back after the search has stopped it.)
SEARCH_FINISHED = """() => typeof Search !== "undefined" && Search.title !== undefined
    && Search.title.innerText === Documentation.gettext("Search Results")"""


@pytest.mark.parametrize(
    ("language", "query", "document"), SEARCHES, ids=[f"{s[0]}-{s[1]}" for s in SEARCHES]
)
def test_a_query_typed_into_the_search_box_finds_the_page_about_it(
    tab: Tab, language: str, query: str, document: str
):
    tab.open(f"{language}/index.html")
    box = tab.page.locator("input[name='q']:visible")
    assert box.count() == 1, "the page shows no search box"
    box.press_sequentially(query)
    with tab.page.expect_navigation():
        box.press("Enter")
    tab.page.wait_for_function(SEARCH_FINISHED)

    links = tab.page.locator("#search-results ul.search li > a")
    found = [
        tab.path(urlsplit(href).path) for href in links.evaluate_all("a => a.map(x => x.href)")
    ]
    assert f"{language}/{document}.html" in found, (
        f"searching {query!r} on the {language} site finds {found}, not {document}"
    )
    assert not tab.console_errors + tab.page_errors
    assert all(tab.is_local(url) for url in tab.requests)


def search_from_the_box(tab: Tab, query: str) -> None:
    box = tab.page.locator("input[name='q']:visible")
    box.fill(query)
    with tab.page.expect_navigation():
        box.press("Enter")
    tab.page.wait_for_function(SEARCH_FINISHED)


#: The words sphinx_highlight.js marks on a page, outside the search results.
MARKED = """() => [...document.querySelectorAll("span.highlighted")]
    .filter(span => !span.closest("#search-results"))
    .map(span => span.textContent.toLowerCase())"""


def test_a_result_shows_the_query_marked_and_a_new_search_marks_nothing_of_the_last(tab: Tab):
    tab.open("en/index.html")
    search_from_the_box(tab, "sessions")
    search_from_the_box(tab, "pool")  # from the results page, without opening a result
    assert tab.page.evaluate(MARKED) == [], "the search page marks the previous search's words"
    with tab.page.expect_navigation():
        tab.page.locator("#search-results ul.search li > a").first.click()
    tab.page.wait_for_function(f"({MARKED})().length > 0")
    assert set(tab.page.evaluate(MARKED)) == {"pool"}, tab.path(tab.page.url)
    assert not tab.console_errors + tab.page_errors
