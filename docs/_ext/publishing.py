"""Publishing the guide: its address, and what crawlers, link previews and e-readers get.

One setting, ``guide_base_url`` in conf.py (the ``GUIDE_BASE_URL`` environment variable
overrides it; the Pages workflow sets it), is the address of the site's root. Each language
is published under it, ``<base>en/`` and ``<base>ru/``. From it, each language's build gets:

- ``html_baseurl`` = ``<base><lang>/``, so every page has ``<link rel="canonical">``;
- absolute ``og:url`` (sphinxext-opengraph), plus ``og:locale``, ``og:locale:alternate`` and
  ``twitter:card`` tags; ``og:description`` is the page's first paragraph, so it is in the
  page's language;
- ``sitemap.xml`` in the language's folder: every page (except the 404 page), each with
  ``xhtml:link rel="alternate" hreflang`` links to itself, its twins and ``x-default``.
  It is written from the whole environment, so an incremental build writes a complete sitemap;
- ``<meta name="robots" content="noindex">`` on the "page not found" page;
- for the ePub builder: the file name ``<epub_basename>-<lang>.epub``, the site address as
  the book's identifier, and the start page's first paragraph as its description; in the
  finished book, ``properties="svg"`` on the manifest items of the pages that show a drawing.

Run as a program after every language is built, it writes the files at the site's root::

    python docs/_ext/publishing.py _build/site

- ``404.html``: GitHub Pages answers every missing address with it, at that address, so its
  links are absolute paths under the base URL. It sends the reader to the 404 page of the
  address's language (``<base>ru/...``), or else of the language the browser prefers;
- ``robots.txt``, naming the sitemap;
- ``sitemap.xml``: the index of the languages' sitemaps.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import runpy
import string
import sys
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent
ROOT_404_TEMPLATE = DOCS / "_root" / "404.html"

#: The document that is the "page not found" page (docs/404.rst).
NOT_FOUND_PAGE = "404"
SITEMAP = "sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"

#: The Open Graph locale of each language the guide is published in.
OG_LOCALES = {"en": "en_US", "ru": "ru_RU"}

ENVIRONMENT_VARIABLE = "GUIDE_BASE_URL"


def setting_source(conf_py: Path = DOCS / "conf.py") -> str:
    """Where the base URL came from: the environment variable, or conf.py's line."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return f"the {ENVIRONMENT_VARIABLE} environment variable"
    lines = conf_py.read_text(encoding="utf-8").splitlines()
    number = next(
        (n for n, line in enumerate(lines, start=1) if line.startswith("guide_base_url")), None
    )
    return f"guide_base_url ({conf_py.relative_to(DOCS.parent)}, line {number})"


def normalized_base_url(value: str) -> str:
    """The site's root address, ending in ``/``; ConfigError unless it is an http(s) URL."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{setting_source()} must be the absolute http(s) address of the site's root, "
            f"such as https://example.org/sqlalchemy-guide/; got {value!r}"
        )
    return value if value.endswith("/") else value + "/"


def language_url(base_url: str, language: str) -> str:
    return f"{base_url}{language}/"


def epub_basename(basename: str, language: str) -> str:
    return f"{basename}-{language}"


def book_identifier(base_url: str, language: str) -> str:
    """The ePub's identifier, from the address it is published at: an XML name
    (``example.org-sqlalchemy-guide-ru``), as the OPF and the NCX both need it."""
    parts = urlsplit(base_url)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{parts.netloc}{parts.path}{language}")
    return name if re.match(r"[A-Za-z_]", name) else f"id-{name}"


def meta(attribute: str, name: str, content: str) -> str:
    return f'<meta {attribute}="{name}" content="{html.escape(content)}" />'


# --- one language's build ---------------------------------------------------


def derive_settings(app: Sphinx, config: Config) -> None:
    base = normalized_base_url(config.guide_base_url)
    language = config.language or "en"
    unknown = [code for code in [language, *config.guide_languages] if code not in OG_LOCALES]
    if unknown:
        raise ConfigError(f"publishing.py: add the Open Graph locale of {unknown} to OG_LOCALES")
    config.guide_base_url = base
    config.html_baseurl = language_url(base, language)
    config.ogp_site_url = config.html_baseurl
    config.ogp_custom_meta_tags = [
        meta("property", "og:locale", OG_LOCALES[language]),
        *(
            meta("property", "og:locale:alternate", OG_LOCALES[code])
            for code in config.guide_languages
            if code != language
        ),
        meta("name", "twitter:card", "summary"),
    ]
    config.epub_basename = epub_basename(config.epub_basename, language)
    # Sphinx writes epub_uid both as the OPF identifier's XML id and as the NCX's dtb:uid,
    # which must equal the identifier itself: one value, an XML name, serves as both.
    config.epub_identifier = config.epub_uid = book_identifier(base, language)


def add_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree):
    context["guide_epub"] = f"{app.config.epub_basename}.epub"
    if pagename == NOT_FOUND_PAGE:
        context["metatags"] = context.get("metatags", "") + meta("name", "robots", "noindex")


def describe_epub(app: Sphinx, env: BuildEnvironment) -> None:
    """The book's description: the start page's first paragraph, in the book's language."""
    if app.builder.name != "epub":
        return
    paragraph = env.get_doctree(app.config.root_doc).next_node(nodes.paragraph)
    if paragraph is not None:
        app.config.epub_description = " ".join(paragraph.astext().split())


#: A page in the manifest of an ePub's ``content.opf``, as Sphinx writes it.
MANIFEST_PAGE = re.compile(
    r'<item (?P<attributes>id="[^"]*" href="(?P<href>[^"]+)" '
    r'media-type="application/xhtml\+xml") />'
)


def declare_inline_svg(app: Sphinx, exception: BaseException | None) -> None:
    """EPUB 3 requires the manifest to mark pages that contain SVG (``properties="svg"``);
    Sphinx's ePub builder does not, so the finished book's ``content.opf`` is completed."""
    if exception is not None or app.builder.name != "epub":
        return
    book = Path(app.outdir) / f"{app.config.epub_basename}.epub"
    with zipfile.ZipFile(book) as epub:
        entries = epub.infolist()
        files = {entry.filename: epub.read(entry) for entry in entries}

    def declare(match: re.Match) -> str:
        if b"<svg" not in files[unquote(html.unescape(match["href"]))]:
            return match[0]
        return f'<item {match["attributes"]} properties="svg" />'

    opf = MANIFEST_PAGE.sub(declare, files["content.opf"].decode("utf-8"))
    files["content.opf"] = opf.encode("utf-8")
    (Path(app.outdir) / "content.opf").write_text(opf, encoding="utf-8")  # the copy beside it
    # EPUB OCF: the mimetype entry first and stored uncompressed; the others as they were
    entries.sort(key=lambda entry: entry.filename != "mimetype")
    with zipfile.ZipFile(book, "w") as epub:
        for entry in entries:
            stored = zipfile.ZIP_STORED if entry.filename == "mimetype" else None
            epub.writestr(entry, files[entry.filename], compress_type=stored)


def write_sitemap(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    config = app.config
    languages = list(config.guide_languages)
    pages = sorted(app.env.found_docs - {NOT_FOUND_PAGE})
    urlset = sitemap_of(
        config.guide_base_url,
        config.language or "en",
        languages,
        [app.builder.get_target_uri(page) for page in pages],
    )
    ElementTree.ElementTree(urlset).write(
        Path(app.outdir) / SITEMAP, encoding="utf-8", xml_declaration=True
    )


def sitemap_of(base: str, language: str, languages: list[str], targets: list[str]):
    """A ``urlset`` of ``targets`` in ``language``, each linked to its twin in every language;
    ``x-default`` is the first language."""
    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for target in targets:
        url = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        loc = ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc")
        loc.text = language_url(base, language) + target
        for hreflang, twin in [*((code, code) for code in languages), ("x-default", languages[0])]:
            ElementTree.SubElement(
                url,
                f"{{{XHTML_NS}}}link",
                rel="alternate",
                hreflang=hreflang,
                href=language_url(base, twin) + target,
            )
    ElementTree.indent(urlset)
    return urlset


def setup(app: Sphinx) -> dict:
    app.add_config_value(
        "guide_base_url", "https://example.org/sqlalchemy-guide/", "html", types=[str]
    )
    app.connect("config-inited", derive_settings)
    app.connect("html-page-context", add_page_context)
    app.connect("env-updated", describe_epub)
    app.connect("build-finished", write_sitemap)
    app.connect("build-finished", declare_inline_svg)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- the site's root, after every language is built -------------------------


class _FirstHeading(HTMLParser):
    """The text of a page's first ``<h1>``, without its ``¶`` permalink."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.done = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "h1":
            self.depth += 1
        elif self.depth and tag == "a" and "headerlink" in (dict(attrs).get("class") or ""):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.done:
            return
        if tag == "h1" and self.depth:
            self.depth -= 1
            self.done = not self.depth
        elif tag == "a" and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip and not self.done:
            self.text.append(data)


def first_heading(page: Path) -> str:
    parser = _FirstHeading()
    parser.feed(page.read_text(encoding="utf-8"))
    text = " ".join("".join(parser.text).split())
    if not text:
        raise SystemExit(f"{page}: no <h1> heading")
    return text


@dataclass(frozen=True)
class Published:
    """What conf.py (and GUIDE_BASE_URL) say about the published site."""

    base_url: str
    languages: dict[str, str]
    epub_basename: str

    def epub(self, language: str) -> str:
        """The file name of a language's ePub, next to its pages."""
        return f"{epub_basename(self.epub_basename, language)}.epub"


def configured(conf_py: Path = DOCS / "conf.py") -> Published:
    settings = runpy.run_path(str(conf_py))
    return Published(
        normalized_base_url(settings["guide_base_url"]),
        dict(settings["guide_languages"]),
        settings["epub_basename"],
    )


def root_404(site: Path, base: str, languages: dict[str, str]) -> str:
    titles = {code: first_heading(site / code / f"{NOT_FOUND_PAGE}.html") for code in languages}
    base_path = urlsplit(base).path
    heading = " · ".join(
        f'<span lang="{code}">{html.escape(title)}</span>' for code, title in titles.items()
    )
    links = "\n".join(
        f'<li><a href="{html.escape(base_path + code)}/index.html" hreflang="{code}" '
        f'lang="{code}">{html.escape(name)}</a></li>'
        for code, name in languages.items()
    )
    template = string.Template(ROOT_404_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        language=next(iter(languages)),
        title=html.escape(" · ".join(titles.values())),
        heading=heading,
        links=links,
        base_path=json.dumps(base_path),
        languages=json.dumps(list(languages)),
        not_found=json.dumps(f"{NOT_FOUND_PAGE}.html"),
    )


def robots_txt(base: str) -> str:
    return (
        "# Every page of the guide may be crawled; the sitemap lists each one with its twins.\n"
        "User-agent: *\n"
        "Disallow:\n"
        "\n"
        f"Sitemap: {base}{SITEMAP}\n"
    )


def sitemap_index(base: str, languages: dict[str, str]) -> bytes:
    ElementTree.register_namespace("", SITEMAP_NS)
    index = ElementTree.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    for code in languages:
        sitemap = ElementTree.SubElement(index, f"{{{SITEMAP_NS}}}sitemap")
        ElementTree.SubElement(sitemap, f"{{{SITEMAP_NS}}}loc").text = (
            language_url(base, code) + SITEMAP
        )
    ElementTree.indent(index)
    return ElementTree.tostring(index, encoding="utf-8", xml_declaration=True)


def write_root(site: Path, base: str, languages: dict[str, str]) -> list[Path]:
    needed = [site / code / name for code in languages for name in ("404.html", SITEMAP)]
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise SystemExit(f"build every language first; missing: {', '.join(missing)}")
    written = {
        site / "404.html": root_404(site, base, languages).encode("utf-8"),
        site / "robots.txt": robots_txt(base).encode("utf-8"),
        site / SITEMAP: sitemap_index(base, languages),
    }
    for path, content in written.items():
        path.write_bytes(content)
    return list(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the files at the root of a built site.")
    parser.add_argument("site", type=Path, help="the site folder, holding one folder per language")
    args = parser.parse_args(argv)
    try:
        published = configured()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in write_root(args.site, published.base_url, published.languages):
        print(f"wrote {path} (base URL {published.base_url})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
