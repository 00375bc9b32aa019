"""Every page loads only what it uses, and draws before its scripts run (the page weight checks
are in tests/site/, the Lighthouse check in tests/lighthouse/).

- Every script file a page loads waits with ``defer``: none of them draws the first screen (the
  theme's inline script that picks light or dark stays as it is), so the browser paints the page
  before it fetches and runs them. Deferred scripts still run in their order, before
  ``DOMContentLoaded``. They are added to each page with the documented
  ``app.add_js_file(..., loading_method="defer")`` in ``html-page-context``; the search page's own
  scripts are deferred by ``_templates/search.html``.
- A page that shows no code (the search page, the general index) loads neither the code colours
  (``pygments.css``) nor the copy button's script and styles.
- ``pygments.css`` keeps only the rules for token classes that some page of the site uses; the
  theme writes rules for every token class of the light and of the dark style, at every build.
  The token classes of each page are recorded with its size and modification time
  (``lean_pages_tokens.json`` in the doctree folder), so a build reads only the pages that
  changed since: a one-page rebuild reads the pages it wrote, a clean build reads them all.
- ``translations.js`` (the interface strings of Sphinx's scripts, in a translated site) keeps only
  the messages that some script of the site asks for; Sphinx copies its whole catalog.
- ``searchindex.js`` and ``translations.js`` are written with their text as UTF-8 instead of
  ``\\uXXXX`` escapes, which Sphinx writes for every non-ASCII character: the Russian index
  shrinks by two fifths. The search index stays valid JSON inside ``Search.setIndex(...)``,
  which Sphinx reads back on the next build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

BUILDERS = ("html", "dirhtml")

#: What only code blocks use: their colours and the copy button.
CODE_ASSETS = {
    "_static/pygments.css",
    "_static/copybutton.css",
    "_static/clipboard.min.js",
    "_static/copybutton.js",
    "_static/styles/furo-extensions.css",  # the theme's styles for the copy button (and others)
}

HIGHLIGHTED_BLOCK = re.compile(r'<div class="highlight"><pre[^>]*>(.*?)</pre>', re.DOTALL)
TOKEN_CLASS = re.compile(r'<span class="([\w-]+)">')
TOKEN_RULE = re.compile(r"^.*\.highlight \.(?P<token>[\w-]+) \{[^}]*\}")

INDEX_PREFIX = "Search.setIndex("
INDEX_SUFFIX = ")"
TRANSLATIONS_PREFIX = "Documentation.addTranslations("
TRANSLATIONS_SUFFIX = ");"


def shows_code(doctree: nodes.document | None) -> bool:
    if doctree is None:  # pages Sphinx writes itself: search, genindex
        return False
    return any(True for _ in doctree.findall(nodes.literal_block)) or any(
        True for _ in doctree.findall(nodes.doctest_block)
    )


#: The script attributes that already keep a script from blocking the first paint.
NOT_BLOCKING = {"async", "defer"}


def defer_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Give every script file of the page ``defer``, in the order the page loads them.

    Runs before the other ``html-page-context`` handlers (priority 400), while the page's
    ``script_files`` is still the builder's list, which ``app.add_js_file`` adds to and which
    Sphinx restores before the next page.
    """
    if app.builder.name not in BUILDERS:
        return
    scripts = context["script_files"]
    blocking = [s for s in scripts if s.filename and not NOT_BLOCKING & s.attributes.keys()]
    scripts[:] = [s for s in scripts if s not in blocking]
    for script in blocking:
        name = str(script.filename).removeprefix("_static/")  # add_js_file puts it back
        app.add_js_file(name, priority=script.priority, loading_method="defer", **script.attributes)


def drop_unused_code_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    if app.builder.name not in BUILDERS or shows_code(doctree):
        return
    # New lists: the ones in the context are the builder's, shared by every page.
    context["css_files"] = [c for c in context["css_files"] if c.filename not in CODE_ASSETS]
    context["script_files"] = [s for s in context["script_files"] if s.filename not in CODE_ASSETS]


TOKEN_RECORD = "lean_pages_tokens.json"


def token_classes(page: Path) -> list[str]:
    used: set[str] = set()
    for block in HIGHLIGHTED_BLOCK.findall(page.read_text(encoding="utf-8")):
        used.update(TOKEN_CLASS.findall(block))
    return sorted(used)


def used_token_classes(outdir: Path, record_path: Path) -> set[str]:
    """The token classes that the pages in ``outdir`` use. A page whose size and modification
    time are the ones recorded is not read again; the record is then brought up to date."""
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        recorded = record["pages"] if record["outdir"] == str(outdir) else {}
    except (OSError, ValueError, KeyError, TypeError):
        recorded = {}
    pages = {}
    for page in outdir.rglob("*.html"):
        name = page.relative_to(outdir).as_posix()
        stat = page.stat()
        known = recorded.get(name)
        if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
            pages[name] = known
        else:
            pages[name] = [stat.st_size, stat.st_mtime_ns, token_classes(page)]
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps({"outdir": str(outdir), "pages": pages}), encoding="utf-8")
    return {token for _, _, classes in pages.values() for token in classes}


def trim_pygments_css(path: Path, used: set[str]) -> None:
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rule = TOKEN_RULE.match(line)
        if rule is None or rule.group("token") in used:
            kept.append(line)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def read_js_call(path: Path, prefix: str, suffix: str) -> dict | None:
    """The JSON argument of the one call a generated script makes, or None (with a warning)."""
    text = path.read_text(encoding="utf-8").strip()
    if not (text.startswith(prefix) and text.endswith(suffix)):
        logger.warning("%s is not %s...%s; left as it is", path, prefix, suffix, type="lean_pages")
        return None
    return json.loads(text[len(prefix) : -len(suffix)])


def write_js_call(path: Path, prefix: str, data: dict, suffix: str) -> None:
    compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    path.write_text(prefix + compact + suffix, encoding="utf-8")


def compact_search_index(path: Path) -> None:
    index = read_js_call(path, INDEX_PREFIX, INDEX_SUFFIX)
    if index is not None:
        # Search offers a section as a result of its own only when the query is at least half
        # its title; every section's words are found through "terms" and "titleterms" anyway.
        # Keeping the page titles only makes the search page fit the 50 KB budget with its index.
        titles = enumerate(index["titles"])
        index["alltitles"] = {title: [[number, None]] for number, title in titles}
        write_js_call(path, INDEX_PREFIX, index, INDEX_SUFFIX)


def trim_script_translations(path: Path) -> None:
    catalog = read_js_call(path, TRANSLATIONS_PREFIX, TRANSLATIONS_SUFFIX)
    if catalog is None:
        return
    scripts = "\n".join(
        script.read_text(encoding="utf-8") for script in path.parent.rglob("*.js") if script != path
    )
    catalog["messages"] = {
        message: translation
        for message, translation in catalog["messages"].items()
        if json.dumps(message) in scripts  # asked for as a string literal
    }
    write_js_call(path, TRANSLATIONS_PREFIX, catalog, TRANSLATIONS_SUFFIX)


def slim_static_files(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name not in BUILDERS:
        return
    outdir = Path(app.builder.outdir)
    pygments_css = outdir / "_static" / "pygments.css"
    if pygments_css.is_file():
        used = used_token_classes(outdir, Path(app.doctreedir) / TOKEN_RECORD)
        trim_pygments_css(pygments_css, used)
    search_index = outdir / "searchindex.js"
    if search_index.is_file():
        compact_search_index(search_index)
    translations = outdir / "_static" / "translations.js"
    if translations.is_file():
        trim_script_translations(translations)


def keep_code_out_of_search(app: Sphinx, doctree: nodes.document) -> None:
    """Index the prose, not the examples: code and output would double the search index
    (and fill results with SQL log lines); names in prose are inline literals and stay."""
    code = (nodes.literal_block, nodes.doctest_block)
    # found among the fixed-text elements: docutils walks for a class faster than for a test
    for block in doctree.findall(nodes.FixedTextElement):
        if isinstance(block, code) and "no-search" not in block["classes"]:
            block["classes"].append("no-search")


def setup(app: Sphinx) -> dict:
    app.connect("doctree-read", keep_code_out_of_search)
    app.connect("html-page-context", defer_scripts, priority=400)
    app.connect("html-page-context", drop_unused_code_assets)
    # after the theme (furo) rewrites pygments.css at build-finished, priority 500
    app.connect("build-finished", slim_static_files, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
