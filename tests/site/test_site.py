"""What the built site must offer readers in both languages.

These checks read a built site (``nox -s docs`` builds one and runs them with
``--site _build/site``); conftest.py leaves this folder out when no site is given.
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import snowballstemmer

from tests import catalogs

sys.path.insert(0, str(catalogs.DOCS / "_ext"))
import publishing  # noqa: E402  (docs/_ext is not a package)

LANGUAGES = ("en", "ru")
DOCUMENTS = catalogs.documents()


class Page(HTMLParser):
    """The parts of a page the checks look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.in_article = 0
        self.in_script = False
        self.chrome_text: list[str] = []  # interface text: everything outside <article>
        self.labels: list[str] = []  # title and aria-label attributes, SVG titles: anywhere
        self.in_svg_title = False
        self.switcher: dict[str, str] = {}
        self.in_switcher = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "svg":
            self.svg_depth += 1
        if tag == "article":
            self.in_article += 1
        if tag in ("script", "style"):
            self.in_script = True
        if tag == "nav" and "language-switcher" in (attrs.get("class") or ""):
            self.in_switcher = True
        if self.in_switcher and tag == "a":
            self.switcher[attrs.get("hreflang")] = attrs.get("href")
        self.labels += [attrs[name] for name in ("aria-label", "title") if attrs.get(name)]
        if tag == "title" and self.lasttag_svg():
            self.in_svg_title = True
        if not self.in_article:
            for name in ("aria-label", "title", "placeholder", "alt"):
                if attrs.get(name):
                    self.chrome_text.append(attrs[name])

    def lasttag_svg(self) -> bool:
        """A ``<title>`` inside ``<svg>`` (or a ``<symbol>`` of one), not the page's title."""
        return self.svg_depth > 0

    svg_depth = 0

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_svg_title = False
        if tag == "svg":
            self.svg_depth -= 1
        if tag == "article":
            self.in_article -= 1
        if tag in ("script", "style"):
            self.in_script = False
        if tag == "nav":
            self.in_switcher = False

    def handle_data(self, data):
        if self.in_svg_title and data.strip():
            self.labels.append(data.strip())
        if not self.in_article and not self.in_script and data.strip():
            self.chrome_text.append(data.strip())


def read_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def html_path(site: Path, language: str, document: str) -> Path:
    return site / language / f"{document}.html"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_is_built_in_every_language(site: Path, language: str):
    missing = [d for d in DOCUMENTS if not html_path(site, language, d).exists()]
    assert not missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_declare_their_language(site: Path, language: str):
    wrong = {d: read_page(html_path(site, language, d)).lang for d in DOCUMENTS}
    assert {d: lang for d, lang in wrong.items() if lang != language} == {}


def english_interface_strings() -> list[str]:
    """The theme's English messages as a reader would see them (no markup or placeholders)."""
    strings = []
    for message in catalogs.theme_messages():
        text = re.sub(r"<[^>]+>|%\(\w+\)s|&#169;", " ", message)
        text = " ".join(text.split())
        if re.search(r"[A-Za-z]{3}", text) and text not in {"Sphinx", "Furo"}:
            strings.append(text)
    return strings + ["Copy to clipboard", "Copied!"]


@pytest.mark.parametrize("document", [*DOCUMENTS, "search", "genindex"])
def test_russian_pages_show_no_english_interface_text(site: Path, document: str):
    chrome = " | ".join(read_page(site / "ru" / f"{document}.html").chrome_text)
    found = [s for s in english_interface_strings() if re.search(rf"\b{re.escape(s)}\b", chrome)]
    assert not found, f"ru/{document}.html shows English interface text: {found}"


@pytest.mark.parametrize("document", [*DOCUMENTS, "search", "genindex"])
def test_russian_pages_label_links_controls_and_icons_in_russian(site: Path, document: str):
    # What a tooltip or a screen reader says (title and aria-label attributes, the titles of
    # inline SVG icons), in the article too: a label with Latin words must have Russian ones.
    labels = read_page(site / "ru" / f"{document}.html").labels
    name = publishing.first_heading(site / "ru" / "index.html")  # the guide's name, a proper name
    english = sorted(
        {t for t in labels if re.search(r"[A-Za-z]{3}", t) and not CYRILLIC.search(t)} - {name}
    )
    assert not english, f"ru/{document}.html has English labels: {english}"


CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_language_switcher_leads_to_the_same_page(site: Path, language: str, document: str):
    # relative links, so that the built folder works from any server; the hreflang links are
    # absolute and checked with the published address in test_publishing.py
    path = html_path(site, language, document)
    page = read_page(path)
    others = [lang for lang in LANGUAGES if lang != language]
    for other in others:
        twin = html_path(site, other, document).resolve()
        assert (path.parent / page.switcher[other]).resolve() == twin


def test_the_site_root_offers_both_languages(site: Path):
    root = (site / "index.html").read_text(encoding="utf-8")
    for language in LANGUAGES:
        assert f'href="{language}/index.html"' in root


def search_index(site: Path, language: str) -> dict:
    text = (site / language / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def pages_found(index: dict, stem: str) -> set[str]:
    hits = []
    for found in (index["terms"].get(stem, []), index["titleterms"].get(stem, [])):
        hits += [found] if isinstance(found, int) else found  # one page: a number, not a list
    return {index["docnames"][number] for number in hits}


@pytest.mark.parametrize(
    ("word", "page"),
    [
        ("сессией", "session/basics"),
        ("сессиях", "session/web-requests"),
        ("соединения", "core/connections"),
        ("соединению", "session/session-vs-connection"),
        ("пулом", "pool/queuepool"),
        ("пуле", "pool/pool-classes"),
        ("транзакцией", "core/transactions"),
        ("перезагрузкой", "session/flush-and-expiry"),
        ("состояниями", "states/states"),
    ],
)
def test_an_inflected_russian_word_finds_the_page_about_it(site: Path, word: str, page: str):
    stem = snowballstemmer.stemmer("russian").stemWord(word)
    assert page in pages_found(search_index(site, "ru"), stem)


def test_english_search_finds_pages_by_stem(site: Path):
    stem = snowballstemmer.stemmer("english").stemWord("sessions")
    assert "session/basics" in pages_found(search_index(site, "en"), stem)
