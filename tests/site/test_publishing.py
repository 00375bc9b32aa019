"""What the published site offers beyond its pages: 404 pages, sitemaps, robots.txt, link
previews and the ePub editions (docs/_ext/publishing.py, docs/_root/404.html).

Run by ``nox -s docs`` against ``_build/site``. Addresses are checked against the base URL the
site was built with: docs/conf.py's ``guide_base_url``, or ``GUIDE_BASE_URL`` when it is set.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from tests import catalogs
from tests.debian import debian_tool

sys.path.insert(0, str(catalogs.DOCS / "_ext"))
import publishing  # noqa: E402  (docs/_ext is not a package)

PUBLISHED = publishing.configured()
BASE = PUBLISHED.base_url
BASE_PATH = urlsplit(BASE).path
LANGUAGES = tuple(PUBLISHED.languages)
DOCUMENTS = catalogs.documents()
NOT_FOUND = publishing.NOT_FOUND_PAGE
PAGES = [d for d in DOCUMENTS if d != NOT_FOUND]  # what readers and crawlers should find
SITEMAP_NS = {"s": publishing.SITEMAP_NS, "xhtml": publishing.XHTML_NS}
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")  # Debian's epubcheck package


class Html(HTMLParser):
    """The parts of an HTML file these checks read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.meta: dict[str, list[str]] = {}
        self.canonical = None
        self.alternates: dict[str, str] = {}  # hreflang -> href of <link rel="alternate">
        self.links: list[dict[str, str]] = []  # every <a>, with its attributes
        self.sources: list[str] = []  # src of every element that has one
        self.scripts: list[str] = []
        self.in_article = 0
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "meta" and "content" in attrs:
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, []).append(attrs["content"])
        if tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs["href"]
        if tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        if tag == "article":
            self.in_article += 1
        if tag == "a" and "href" in attrs:
            self.links.append({**attrs, "in_article": str(bool(self.in_article))})
        if "src" in attrs:
            self.sources.append(attrs["src"])
        if tag == "script":
            self.in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article -= 1
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data


def read_html(path: Path) -> Html:
    parsed = Html()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def site_file(site: Path, url: str) -> Path:
    """The file of the built site that a published absolute URL or path names."""
    path = urlsplit(url).path
    assert path.startswith(BASE_PATH), f"{url} is not under the base URL {BASE}"
    return site / path.removeprefix(BASE_PATH)


def page_url(language: str, document: str) -> str:
    return f"{BASE}{language}/{document}.html"


def script_of(text: str) -> str:
    """Which alphabet the letters of a text are mostly in."""
    cyrillic = len(re.findall(r"[а-яё]", text, flags=re.IGNORECASE))
    latin = len(re.findall(r"[a-z]", text, flags=re.IGNORECASE))
    return "ru" if cyrillic > latin else "en"


# --- 404 pages --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_a_404_page_in_that_language(site: Path, language: str):
    page = site / language / f"{NOT_FOUND}.html"
    assert read_html(page).lang == language
    heading = publishing.first_heading(page)
    assert script_of(heading) == language, f"{page}: heading {heading!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_404_page_links_to_the_start_page_and_to_search(site: Path, language: str):
    page = site / language / f"{NOT_FOUND}.html"
    body_links = [
        a["href"] for a in read_html(page).links if a["in_article"] == "True"
    ]  # the heading's own "#page-not-found" permalink aside
    targets = {(page.parent / h.split("#")[0]).resolve() for h in body_links if h[:1] != "#"}
    assert site / language / "index.html" in targets
    assert site / language / "search.html" in targets
    assert all(target.is_file() for target in targets), body_links


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_404_page_is_kept_out_of_search_engines_and_site_search(site: Path, language: str):
    assert read_html(site / language / f"{NOT_FOUND}.html").meta.get("robots") == ["noindex"]
    text = (site / language / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    number = index["docnames"].index(NOT_FOUND)
    found_by = [
        word
        for kind in ("terms", "titleterms")
        for word, pages in index[kind].items()
        if number in (pages if isinstance(pages, list) else [pages])
    ]
    assert not found_by, f"the site search finds the 404 page by {found_by[:10]}"


def test_the_root_404_names_pages_only_by_absolute_paths_that_exist(site: Path):
    """GitHub Pages serves it at any missing address, at any depth: relative links would break."""
    root = read_html(site / "404.html")
    urls = [a["href"] for a in root.links] + root.sources
    assert urls, "the root 404 page links nowhere"
    for url in urls:
        assert url.startswith(BASE_PATH), f"{url} is not an absolute path under {BASE_PATH}"
        assert site_file(site, url).is_file(), url
    for language in LANGUAGES:
        assert f"{BASE_PATH}{language}/index.html" in urls


def test_the_root_404_shows_the_title_of_every_languages_404_page(site: Path):
    root = publishing.first_heading(site / "404.html")
    for language in LANGUAGES:
        assert publishing.first_heading(site / language / f"{NOT_FOUND}.html") in root


#: (address, the browser's languages) -> where the root 404 page sends the reader
REDIRECTS = [
    (f"{BASE_PATH}ru/session/missing.html", ["en-US", "en"], f"{BASE_PATH}ru/404.html"),
    (f"{BASE_PATH}en/a/b/c/missing.html", ["ru-RU"], f"{BASE_PATH}en/404.html"),
    (f"{BASE_PATH}ru", ["ru"], f"{BASE_PATH}ru/404.html"),  # no folder: the browser decides
    (f"{BASE_PATH}missing.html", ["de-DE", "ru-RU", "en"], f"{BASE_PATH}ru/404.html"),
    (f"{BASE_PATH}missing/", ["de-DE", "fr"], f"{BASE_PATH}en/404.html"),
    (f"{BASE_PATH}russian/page.html", ["EN-gb"], f"{BASE_PATH}en/404.html"),
    (f"{BASE_PATH}ru/404.html", ["ru"], None),  # that page is missing too: no reload loop
    ("/elsewhere/ru/page.html", [], f"{BASE_PATH}en/404.html"),
]


def test_the_root_404_sends_each_address_to_the_404_page_of_its_language(site: Path):
    node = debian_tool(shutil.which("node"), "node", "nodejs")
    (script,) = [s for s in read_html(site / "404.html").scripts if s.strip()]
    runner = """
    const [script, cases] = [process.argv[1], JSON.parse(process.argv[2])];
    const sent = cases.map(([path, languages]) => {
      let target = null;
      const window = { location: { pathname: path, replace: (url) => { target = url; } } };
      const navigator = languages.length ? { languages } : { language: undefined };
      new Function("window", "navigator", script)(window, navigator);
      return target;
    });
    console.log(JSON.stringify(sent));
    """
    cases = [[path, languages] for path, languages, _ in REDIRECTS]
    result = subprocess.run(
        [node, "-e", runner, script, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
    )
    sent = json.loads(result.stdout)
    expected = [target for _, _, target in REDIRECTS]
    wrong = [
        f"{path} with {languages}: sent to {got}, expected {want}"
        for (path, languages, want), got in zip(REDIRECTS, sent, strict=True)
        if got != want
    ]
    assert not wrong, "\n".join(wrong)
    for target in filter(None, expected):
        assert site_file(site, target).is_file(), target


# --- robots.txt and the sitemaps ---------------------------------------------


def test_robots_txt_names_the_sitemap_and_blocks_nothing(site: Path):
    lines = (site / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert f"Sitemap: {BASE}sitemap.xml" in lines
    assert "User-agent: *" in lines
    assert not [line for line in lines if re.fullmatch(r"Disallow:\s*\S+", line)]


def test_the_root_sitemap_indexes_the_sitemap_of_every_language(site: Path):
    index = ElementTree.parse(site / "sitemap.xml").getroot()
    assert index.tag == f"{{{publishing.SITEMAP_NS}}}sitemapindex"
    locations = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    assert locations == [f"{BASE}{language}/sitemap.xml" for language in LANGUAGES]
    assert all(site_file(site, url).is_file() for url in locations)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sitemap_lists_every_page_with_hreflang_links_to_its_twins(site: Path, language: str):
    urlset = ElementTree.parse(site / language / "sitemap.xml").getroot()
    listed = {}
    for url in urlset.findall("s:url", SITEMAP_NS):
        alternates = {
            link.get("hreflang"): link.get("href")
            for link in url.findall("xhtml:link[@rel='alternate']", SITEMAP_NS)
        }
        listed[url.findtext("s:loc", namespaces=SITEMAP_NS)] = alternates
    assert sorted(listed) == sorted(page_url(language, d) for d in PAGES)
    for document in PAGES:
        expected = {lang: page_url(lang, document) for lang in LANGUAGES}
        expected["x-default"] = page_url(LANGUAGES[0], document)
        assert listed[page_url(language, document)] == expected
        assert all(site_file(site, url).is_file() for url in expected.values())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document", PAGES)
def test_hreflang_links_are_absolute_and_lead_to_the_same_page(
    site: Path, language: str, document: str
):
    page = read_html(site / language / f"{document}.html")
    expected = {lang: page_url(lang, document) for lang in LANGUAGES}
    expected["x-default"] = page_url(LANGUAGES[0], document)
    assert page.alternates == expected
    assert all(site_file(site, url).is_file() for url in expected.values())


# --- link previews ------------------------------------------------------------

LOCALES = {"en": "en_US", "ru": "ru_RU"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_page_has_link_preview_tags_in_its_language(site: Path, language: str, document: str):
    path = site / language / f"{document}.html"
    page = read_html(path)
    tags = {key: values[0] for key, values in page.meta.items()}
    preview = {k: v for k, v in page.meta.items() if k.startswith(("og:", "twitter:"))}
    assert all(len(v) == 1 for k, v in preview.items() if k != "og:locale:alternate"), preview
    assert tags["og:url"] == page.canonical == page_url(language, document)
    assert " ".join(tags["og:title"].split()) == publishing.first_heading(path)  # nbsp too
    assert tags["og:locale"] == LOCALES[language]
    assert page.meta["og:locale:alternate"] == [LOCALES[o] for o in LANGUAGES if o != language]
    assert tags["og:type"] == "website"
    assert tags["og:site_name"]
    assert tags["twitter:card"] == "summary"
    description = tags["og:description"]
    assert len(description) >= 40, description
    assert script_of(description) == language, f"{language}/{document}: {description!r}"
    assert tags["description"] == description


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", ["search", "genindex"])
def test_the_search_and_index_pages_describe_themselves_in_their_language(
    site: Path, language: str, page: str
):
    # Sphinx writes these pages from templates: their description is a template string
    # (docs/_templates/), translated in locale/ru/LC_MESSAGES/sphinx.po
    descriptions = read_html(site / language / f"{page}.html").meta.get("description", [])
    assert len(descriptions) == 1, f"{language}/{page}.html: descriptions {descriptions}"
    assert script_of(descriptions[0]) == language, f"{language}/{page}: {descriptions[0]!r}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_russian_page_does_not_reuse_the_english_description(site: Path, document: str):
    descriptions = {
        language: read_html(site / language / f"{document}.html").meta["og:description"]
        for language in LANGUAGES
    }
    assert descriptions["ru"] != descriptions["en"]


# --- the ePub editions ----------------------------------------------------------

OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
CONTAINER = {"c": "urn:oasis:names:tc:opendocument:xmlns:container"}


def epub_path(site: Path, language: str) -> Path:
    return site / language / PUBLISHED.epub(language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_page_links_to_the_epub_of_its_language(site: Path, language: str, document: str):
    page = site / language / f"{document}.html"
    downloads = [a["href"] for a in read_html(page).links if "download" in a]
    assert [(page.parent / href).resolve() for href in downloads] == [epub_path(site, language)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_epub_is_a_well_formed_book_with_every_chapter(site: Path, language: str):
    with zipfile.ZipFile(epub_path(site, language)) as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype", "the mimetype entry must come first"
        assert first.compress_type == zipfile.ZIP_STORED, "the mimetype entry must be stored"
        assert book.read("mimetype") == b"application/epub+zip"
        assert book.testzip() is None
        container = ElementTree.fromstring(book.read("META-INF/container.xml"))
        rootfile = container.find("c:rootfiles/c:rootfile", CONTAINER)
        assert rootfile.get("media-type") == "application/oebps-package+xml"
        opf_path = PurePosixPath(rootfile.get("full-path"))
        opf = ElementTree.fromstring(book.read(str(opf_path)))
        metadata = opf.find("opf:metadata", OPF)
        assert metadata.findtext("dc:language", namespaces=OPF) == language
        identifier = publishing.book_identifier(BASE, language)
        assert metadata.findtext("dc:identifier", namespaces=OPF) == identifier
        description = metadata.findtext("dc:description", namespaces=OPF)
        assert script_of(description) == language, description
        manifest = {item.get("id"): item for item in opf.findall("opf:manifest/opf:item", OPF)}
        names = set(book.namelist())
        hrefs = {str(opf_path.parent / item.get("href")) for item in manifest.values()}
        assert hrefs <= names, f"listed but not in the book: {sorted(hrefs - names)}"
        assert any("nav" in (i.get("properties") or "").split() for i in manifest.values())
        spine = [
            manifest[ref.get("idref")].get("href")
            for ref in opf.findall("opf:spine/opf:itemref", OPF)
        ]
        chapters = {f"{document}.xhtml" for document in PAGES}
        assert chapters <= set(spine), f"missing chapters: {sorted(chapters - set(spine))}"
        assert f"{NOT_FOUND}.xhtml" not in spine
        linked = {
            posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
            for page in names
            if page.endswith(".xhtml")
            for href in re.findall(r'<link [^>]*href="([^"]+\.css)"', book.read(page).decode())
        }  # the stylesheets the pages use
        assert linked <= names, f"stylesheets missing from the book: {sorted(linked - names)}"
        css = {name: book.read(name).decode("utf-8") for name in linked}
        defined = {m for text in css.values() for m in re.findall(r"(--[\w-]+)\s*:", text)}
        undefined = {
            f"{name}: {variable}"
            for name, text in css.items()
            for variable in re.findall(r"var\(\s*(--color-[\w-]+)\s*\)", text)  # no fallback
            if variable not in defined
        }  # furo defines them on the site; in a book, rules using them would fall to black
        assert not undefined, f"colours the book's CSS never defines: {sorted(undefined)}"
        for name in sorted(n for n in names if n.endswith(".xhtml")):
            try:
                ElementTree.fromstring(book.read(name))
            except ElementTree.ParseError as error:
                pytest.fail(f"{epub_path(site, language).name}: {name} is not XHTML: {error}")


#: epubcheck warnings a book may carry, each with the reason it is accepted.
ACCEPTED_WARNINGS = {
    "NAV-011": "a page with a toctree inside a section (misconceptions) lists its sub-pages in "
    "the table of contents before its later sections, while the book puts them after the "
    "whole page; epubcheck marks this rule as under review (INF-001)",
}


def test_epubcheck_accepts_every_epub(site: Path, tmp_path: Path):
    java = debian_tool(shutil.which("java"), "java", "epubcheck")
    debian_tool(str(EPUBCHECK_JAR) if EPUBCHECK_JAR.is_file() else None, "epubcheck", "epubcheck")
    # Debian's /usr/bin/epubcheck is the jar itself, run through binfmt_misc, which containers
    # often lack; `java -jar` runs it anywhere. The books are checked side by side.
    running = {
        language: subprocess.Popen(
            [java, "-XX:TieredStopAtLevel=1", "-jar", str(EPUBCHECK_JAR),
             str(epub_path(site, language)), "--json", str(tmp_path / f"{language}.json")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for language in LANGUAGES
    }  # fmt: skip
    problems = []
    for language, process in running.items():
        _, errors = process.communicate()
        report = tmp_path / f"{language}.json"
        assert report.is_file(), f"epubcheck wrote no report on the {language} book: {errors}"
        for message in json.loads(report.read_text(encoding="utf-8"))["messages"]:
            if message["severity"] in ("INFO", "USAGE") or message["ID"] in ACCEPTED_WARNINGS:
                continue
            where = ", ".join(
                f"{place['path']}:{place['line']}" for place in message["locations"][:3]
            )
            problems.append(
                f"{epub_path(site, language).name}: {message['severity']} {message['ID']} "
                f"at {where}: {message['message']}"
            )
    assert not problems, "\n".join(problems)
