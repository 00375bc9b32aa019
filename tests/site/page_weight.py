"""What a page costs a reader to load: its HTML plus every file the HTML makes the browser fetch.

A page's weight is the sum over its HTML and each distinct file it loads: stylesheets, scripts,
images, icons, fonts and other files named by the HTML (tags and ``style``) and, recursively, by
the stylesheets it loads (``url()`` and ``@import``). Links a reader follows (``<a href>``,
``<link rel="next">`` and the like) are not loaded, so they weigh nothing. ``data:`` URLs are
part of the file that holds them. Each file is weighed twice: as stored and gzip-compressed on
its own, the way a web server sends it (level 6, zlib's and most servers' default).

Run ``python -m tests.site.page_weight _build/site`` to print the heaviest pages.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

GZIP_LEVEL = 6
KB = 1024

#: ``<link rel>`` values that make the browser fetch the linked file.
LOADING_RELS = {
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "mask-icon",
    "manifest",
    "preload",
    "modulepreload",
    "prefetch",
}

#: Attributes whose URL the browser fetches, per tag.
LOADING_ATTRIBUTES = {
    "script": ("src",),
    "img": ("src",),
    "input": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "source": ("src",),
    "track": ("src",),
    "image": ("href", "xlink:href"),  # <image> inside inline SVG
    "use": ("href", "xlink:href"),
}

CSS_URL = re.compile(r"""url\(\s*(?P<quote>["']?)(?P<url>.*?)(?P=quote)\s*\)""", re.DOTALL)
CSS_IMPORT = re.compile(r"""@import\s+(?P<quote>["'])(?P<url>.*?)(?P=quote)""")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True)
class Reference:
    """A URL a file makes the browser fetch, and where the file names it."""

    url: str
    source: Path
    line: int

    def where(self, site: Path) -> str:
        return f"{self.source.relative_to(site)}, line {self.line}"


@dataclass
class PageWeight:
    page: Path
    files: list[Path] = field(default_factory=list)  # the HTML first, then what it loads
    external: list[Reference] = field(default_factory=list)
    missing: list[Reference] = field(default_factory=list)

    @property
    def raw(self) -> int:
        return sum(raw_size(f) for f in self.files)

    @property
    def gzip(self) -> int:
        return sum(gzip_size(f) for f in self.files)

    def __repr__(self) -> str:
        return f"PageWeight({self.page.name}: {self.gzip} bytes gzip, {self.raw} raw)"

    def breakdown(self, site: Path) -> str:
        parts = sorted(self.files, key=gzip_size, reverse=True)
        return ", ".join(
            f"{p.relative_to(site)} {gzip_size(p) / KB:.1f}/{raw_size(p) / KB:.1f}" for p in parts
        )


@cache
def raw_size(path: Path) -> int:
    return path.stat().st_size


@cache
def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0))


class _HtmlReferences(HTMLParser):
    def __init__(self, source: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.found: list[Reference] = []
        self.in_style = False

    def add(self, url: str | None, line: int | None = None) -> None:
        if url and url.strip():
            self.found.append(Reference(url.strip(), self.source, line or self.getpos()[0]))

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "link":
            rels = set((values.get("rel") or "").lower().split())
            if rels & LOADING_RELS:
                self.add(values.get("href"))
        for name in LOADING_ATTRIBUTES.get(tag, ()):
            self.add(values.get(name))
        for name in ("srcset", "imagesrcset"):
            for candidate in (values.get(name) or "").split(","):
                self.add(candidate.strip().split(" ")[0])
        if values.get("style"):
            for url in css_urls(values["style"]):
                self.add(url)
        if tag == "style":
            self.in_style = True

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            line = self.getpos()[0]
            for url, offset in css_urls_with_lines(data):
                self.add(url, line + offset)


def css_urls_with_lines(css: str) -> list[tuple[str, int]]:
    """URLs a stylesheet loads, each with its line offset (0 for the first line)."""
    css = CSS_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), css)
    found = []
    for pattern in (CSS_IMPORT, CSS_URL):
        for match in pattern.finditer(css):
            found.append((match.group("url"), css.count("\n", 0, match.start())))
    return found


def css_urls(css: str) -> list[str]:
    return [url for url, _ in css_urls_with_lines(css)]


def references(path: Path) -> list[Reference]:
    """Every URL the file (HTML or CSS) makes the browser fetch."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".css":
        return [Reference(url, path, 1 + line) for url, line in css_urls_with_lines(text)]
    parser = _HtmlReferences(path)
    parser.feed(text)
    parser.close()
    return parser.found


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.scheme != "data") or url.startswith("//")


def resolve(reference: Reference, site: Path) -> Path | None:
    """The file a local URL names; None for URLs that fetch nothing (``data:``, ``#id``)."""
    parts = urlsplit(reference.url)
    if parts.scheme == "data" or not parts.path:
        return None
    path = unquote(parts.path)
    base = site if path.startswith("/") else reference.source.parent
    return (base / path.lstrip("/")).resolve()


def weigh(page: Path, site: Path) -> PageWeight:
    """The page's HTML and every distinct file it loads; ``site`` is the server's root folder."""
    site = site.resolve()
    page = page.resolve()
    weight = PageWeight(page, [page])
    queue = [page]
    while queue:
        current = queue.pop(0)
        for reference in references(current):
            if is_external(reference.url):
                weight.external.append(reference)
                continue
            target = resolve(reference, site)
            if target is None or target in weight.files:
                continue
            if not target.is_file() or not target.is_relative_to(site):
                weight.missing.append(reference)
                continue
            weight.files.append(target)
            if target.suffix == ".css":
                queue.append(target)
    return weight


def pages(site: Path, language: str) -> list[Path]:
    """Every HTML page a reader can open in one language's site."""
    root = site / language
    return sorted(
        p
        for p in root.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(root).parts)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site, e.g. _build/site")
    parser.add_argument("--top", type=int, default=5, help="how many pages to list per language")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    for language in sorted(p.name for p in site.iterdir() if (p / "index.html").is_file()):
        weights = sorted(
            (weigh(p, site) for p in pages(site, language)), key=lambda w: w.gzip, reverse=True
        )
        for w in weights[: args.top]:
            print(
                f"{w.page.relative_to(site)}: {w.gzip / KB:.1f} KB gzip, {w.raw / KB:.1f} KB raw"
                f" ({len(w.files)} files)"
            )
        heaviest_raw = max(weights, key=lambda w: w.raw)
        print(
            f"{language}: heaviest raw {heaviest_raw.page.relative_to(site)} "
            f"{heaviest_raw.raw / KB:.1f} KB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
