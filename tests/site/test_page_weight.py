"""What each page costs a reader to load, in both languages (how it is weighed: page_weight.py).

A page with everything it loads must stay within PAGE_MAX_GZIP as the network carries it and
PAGE_MAX_RAW as the browser holds it, and load nothing from another site. The search index is the
one exception: it is the whole site's text in compact form and grows with the guide rather than
with a page, so the search page is weighed without it and the index has a budget of its own.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import pytest

from tests.site import page_weight
from tests.site.page_weight import KB

LANGUAGES = ("en", "ru")

PAGE_MAX_GZIP = 50 * KB
PAGE_MAX_RAW = 250 * KB
SEARCH_INDEX = "searchindex.js"
SEARCH_INDEX_MAX_GZIP = 40 * KB
SEARCH_INDEX_MAX_RAW = 160 * KB


@cache
def weights(site: Path, language: str) -> tuple[page_weight.PageWeight, ...]:
    found = [page_weight.weigh(page, site) for page in page_weight.pages(site, language)]
    assert found, f"{site / language} holds no page"
    return tuple(found)


def own(weight: page_weight.PageWeight) -> page_weight.PageWeight:
    """The page and what it loads, without the search index (budgeted on its own)."""
    files = [f for f in weight.files if f.name != SEARCH_INDEX]
    return page_weight.PageWeight(weight.page, files, weight.external, weight.missing)


def report(site: Path, heavy: list[page_weight.PageWeight], measure: str, limit: int) -> str:
    lines = [f"pages heavier than {limit / KB:.0f} KB {measure} with what they load:"]
    for w in heavy:
        size = w.gzip if measure == "gzip-compressed" else w.raw
        lines.append(
            f"  {w.page.relative_to(site)}: {size / KB:.1f} KB"
            f" (KB gzip/raw per file: {w.breakdown(site)})"
        )
    lines.append("trim what the pages load but do not use, or split a long page into sub-pages")
    return "\n".join(lines)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_with_what_it_loads_is_at_most_50_kb_compressed(site: Path, language: str):
    heavy = [w for w in map(own, weights(site, language)) if w.gzip > PAGE_MAX_GZIP]
    assert not heavy, report(site, heavy, "gzip-compressed", PAGE_MAX_GZIP)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_with_what_it_loads_is_at_most_250_kb_uncompressed(site: Path, language: str):
    heavy = [w for w in map(own, weights(site, language)) if w.raw > PAGE_MAX_RAW]
    assert not heavy, report(site, heavy, "uncompressed", PAGE_MAX_RAW)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_loads_anything_from_another_site(site: Path, language: str):
    external = [f"{r.where(site)}: {r.url}" for w in weights(site, language) for r in w.external]
    assert not external, "pages load files from other sites:\n  " + "\n  ".join(external)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_file_a_page_loads_exists(site: Path, language: str):
    missing = [f"{r.where(site)}: {r.url}" for w in weights(site, language) for r in w.missing]
    assert not missing, "pages load files the site does not have:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_search_index_stays_within_its_budget(site: Path, language: str):
    index = site / language / SEARCH_INDEX
    raw = index.read_bytes()
    compressed = len(gzip.compress(raw, compresslevel=page_weight.GZIP_LEVEL))
    where = f"{index.relative_to(site)} (the site's text for the search page)"
    assert compressed <= SEARCH_INDEX_MAX_GZIP, (
        f"{where}: {compressed / KB:.1f} KB gzip-compressed, budget "
        f"{SEARCH_INDEX_MAX_GZIP / KB:.0f} KB"
    )
    assert len(raw) <= SEARCH_INDEX_MAX_RAW, (
        f"{where}: {len(raw) / KB:.1f} KB uncompressed, budget {SEARCH_INDEX_MAX_RAW / KB:.0f} KB"
    )


# --- the weighing itself, on a small site made for the purpose ---------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_weighing_follows_tags_stylesheets_and_their_imports(tmp_path: Path):
    page = write(
        tmp_path / "en" / "guide" / "page.html",
        '<html><head><link rel="stylesheet" href="../_static/main.css?v=1">\n'
        '<link rel="next" href="other.html"><link rel="icon" href="/favicon.svg">\n'
        '<script src="../_static/app.js"></script></head>\n'
        '<body style="background: url(\'bg.png\')"><img src="../_static/logo.png#top">\n'
        '<a href="../_static/not-loaded.css">a link is not loaded</a></body></html>',
    )
    write(
        tmp_path / "en" / "_static" / "main.css",
        '@import "extra.css";\n/* url(commented.png) */\n'
        "body { background: url(data:image/png;base64,AAAA) }\n"
        '@font-face { src: url("fonts/guide.woff2") }',
    )
    write(tmp_path / "en" / "_static" / "extra.css", "a { cursor: url(../_static/hand.cur) }")
    for name in ("app.js", "logo.png", "fonts/guide.woff2", "hand.cur", "not-loaded.css"):
        write(tmp_path / "en" / "_static" / name, "x" * 10)
    write(tmp_path / "en" / "guide" / "bg.png", "x" * 10)
    write(tmp_path / "favicon.svg", "<svg/>")

    weight = page_weight.weigh(page, tmp_path)

    loaded = sorted(str(f.relative_to(tmp_path)) for f in weight.files)
    assert loaded == [
        "en/_static/app.js",
        "en/_static/extra.css",
        "en/_static/fonts/guide.woff2",
        "en/_static/hand.cur",
        "en/_static/logo.png",
        "en/_static/main.css",
        "en/guide/bg.png",
        "en/guide/page.html",
        "favicon.svg",
    ]
    assert weight.raw == sum(f.stat().st_size for f in weight.files)
    assert weight.external == []
    assert weight.missing == []


def test_weighing_reports_external_and_missing_files_with_file_and_line(tmp_path: Path):
    page = write(
        tmp_path / "en" / "page.html",
        "<html><head>\n"
        '<link rel="stylesheet" href="https://fonts.example.com/font.css">\n'
        '<script src="//cdn.example.com/analytics.js"></script>\n'
        '<link rel="stylesheet" href="local.css">\n'
        '</head><body><img src="gone.png"></body></html>',
    )
    write(tmp_path / "en" / "local.css", "\n\nbody { font-family: url(http://x.example/f.woff) }")

    weight = page_weight.weigh(page, tmp_path)

    assert [(r.url, r.where(tmp_path)) for r in weight.external] == [
        ("https://fonts.example.com/font.css", "en/page.html, line 2"),
        ("//cdn.example.com/analytics.js", "en/page.html, line 3"),
        ("http://x.example/f.woff", "en/local.css, line 3"),
    ]
    assert [(r.url, r.where(tmp_path)) for r in weight.missing] == [
        ("gone.png", "en/page.html, line 5")
    ]


def test_compressed_weight_is_what_gzip_sends_for_each_file(tmp_path: Path):
    page = write(tmp_path / "en" / "page.html", '<script src="a.js"></script>' + " " * 5000)
    script = write(tmp_path / "en" / "a.js", "let x = 1;\n" * 500)

    weight = page_weight.weigh(page, tmp_path)

    expected = sum(len(gzip.compress(f.read_bytes(), compresslevel=6)) for f in (page, script))
    assert weight.gzip == expected
    assert weight.gzip < weight.raw / 10
