"""What the hooks of docs/_ext/build_speed.py must keep: each one gives the build the same
result as the code it replaces, and each stops the build when the code it relies on changes.

The built sites are compared as a whole by ``nox -s docs`` (tests/site/); these checks take
each hook on its own, on inputs chosen to reach its corners.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import frontend, nodes
from docutils.core import publish_doctree
from docutils.utils import new_document
from sphinx.errors import ExtensionError
from sphinx.highlighting import PygmentsBridge
from sphinx.parsers import RSTParser
from sphinx.util.nodes import NodeMatcher

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import build_speed  # noqa: E402  (docs/_ext is not a package)
import highlighted_blocks  # noqa: E402

#: A page with most of what reStructuredText nests: sections, lists in lists, a table,
#: a literal block, inline markup, references and targets.
SAMPLE = textwrap.dedent(
    """\
    Title
    =====

    A paragraph with *emphasis*, ``code``, `a link <https://example.org/>`_ and a target_.

    .. _target:

    Section
    -------

    - one *two* ``three``

      - nested ``four`` and "five"
      - six

    1. seven
    2. eight

    ===== =====
    a     ``b``
    c     *d*
    ===== =====

    ::

        literal "text"

    Term
       Definition with `interpreted` text.
    """
)

QUIET = {"report_level": 5, "halt_level": 5, "warning_stream": False}


def original(name: str):
    """The function a hook replaced, as build_speed.py recorded it before replacing it."""
    return build_speed.INTERNALS[name][0]


def doctree() -> nodes.document:
    return publish_doctree(SAMPLE, settings_overrides=QUIET)


@pytest.fixture(autouse=True)
def docutils_walks(monkeypatch):
    """docutils' own walks, whatever an in-process build has installed (a recursive walk
    calls itself through the class)."""
    for walk in ("_fast_findall", "_superfast_findall"):
        monkeypatch.setattr(nodes.Node, walk, original(f"docutils.nodes.Node.{walk}"))


# --- the internals the hooks rely on ---------------------------------------------------------


def test_every_internal_a_hook_relies_on_is_the_one_it_was_written_for():
    assert len(build_speed.INTERNALS) > 20
    build_speed.check_internals()


def test_a_changed_function_no_longer_matches_its_digest(tmp_path, monkeypatch):
    module = tmp_path / "some_internal.py"
    source = "def helper(x):\n    def inner():\n        return x + 1\n    return inner\n"
    module.write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = importlib.import_module("some_internal").helper
    monkeypatch.setitem(
        build_speed.INTERNALS, "some_internal.helper", (helper, build_speed.source_digest(helper))
    )
    build_speed.check_internals()
    # a change in the nested function's last line is a change of the function
    module.write_text(source.replace("x + 1", "x + 2"), encoding="utf-8")
    with pytest.raises(ExtensionError, match="some_internal.helper"):
        build_speed.check_internals()


# --- walking the tree ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [nodes.Text, nodes.Element, nodes.paragraph, nodes.reference, (nodes.literal, nodes.emphasis)],
    ids=lambda c: getattr(c, "__name__", "tuple"),
)
def test_the_iterative_walk_finds_the_same_nodes_in_the_same_order(condition):
    tree = doctree()
    recursive = list(original("docutils.nodes.Node._fast_findall")(tree, condition))
    iterative = list(build_speed.iterative_fast_findall(tree, condition))
    assert len(recursive) > 1
    assert [id(node) for node in iterative] == [id(node) for node in recursive]


def test_the_iterative_walk_of_every_node_finds_the_same_nodes():
    tree = doctree()
    recursive = list(original("docutils.nodes.Node._superfast_findall")(tree))
    assert [id(n) for n in build_speed.iterative_superfast_findall(tree)] == [
        id(n) for n in recursive
    ]


@pytest.mark.parametrize("walk", ["_fast_findall", "_superfast_findall"])
def test_both_walks_see_the_same_tree_when_it_changes_during_the_walk(walk):
    """Nodes replaced, removed and added while the walk goes on: as SmartQuotes replaces
    every text node while it walks, and as transforms remove and add nodes."""

    def walk_and_change(function) -> tuple[list[str], str]:
        tree = doctree()
        seen = []
        arguments = (nodes.Node,) if walk == "_fast_findall" else ()
        for node in function(tree, *arguments):
            seen.append(node.shortrepr() if isinstance(node, nodes.Text) else node.tagname)
            if isinstance(node, nodes.Text) and node.parent is not None:
                node.parent.replace(node, nodes.Text(node.upper()))
            elif isinstance(node, nodes.bullet_list) and isinstance(node.parent, nodes.list_item):
                node.parent.remove(node)  # the walk still goes into the removed list
            elif isinstance(node, nodes.paragraph):
                node += nodes.Text(" added")  # found by a walk that reads the list live
            elif isinstance(node, nodes.emphasis):
                later = node.parent.children[node.parent.index(node) + 1 :]
                if later:
                    node.parent.remove(later[0])  # never found, by a walk that reads it live
        return seen, tree.pformat()

    replaced = getattr(build_speed, f"iterative{walk}")
    assert walk_and_change(replaced) == walk_and_change(original(f"docutils.nodes.Node.{walk}"))


@pytest.mark.parametrize(
    "matcher",
    [
        NodeMatcher(nodes.reference, refuri="https://example.org/"),
        NodeMatcher(nodes.Element, ids=[]),
        NodeMatcher(nodes.target, refname="target"),
        NodeMatcher(nodes.paragraph, nodes.literal),
    ],
)
def test_a_node_matcher_finds_the_same_nodes_as_docutils_generic_walk(matcher):
    tree = doctree()
    generic = [id(node) for node in tree.findall(matcher)]  # findall calls it as a condition
    assert [id(node) for node in build_speed.node_matcher_findall(matcher, tree)] == generic


# --- parsing ---------------------------------------------------------------------------------


def parse(parser_class, text: str) -> str:
    settings = frontend.get_default_settings(RSTParser)
    for name, value in QUIET.items():
        setattr(settings, name, value)
    document = new_document("<sample>", settings)
    parser = parser_class()
    parser._config = SimpleNamespace(rst_prolog=None, rst_epilog=None)  # as Sphinx sets it
    parser.parse(text, document)
    return document.pformat()


@pytest.fixture
def idle_state_machines():
    """The parser's idle list, emptied for the test and given back afterwards."""
    idle = build_speed.ReusingRSTParser._idle
    kept = idle[:]
    idle.clear()
    yield idle
    idle[:] = kept


def test_a_reused_state_machine_parses_as_a_new_one(idle_state_machines):
    texts = [SAMPLE, "Only *one* paragraph, ``with`` `inline` markup_.", SAMPLE, "- a\n- b\n"]
    fresh = [parse(RSTParser, text) for text in texts]
    assert [parse(build_speed.ReusingRSTParser, text) for text in texts] == fresh
    assert len(idle_state_machines) == 1  # one machine, kept between parses


def test_a_parse_that_starts_while_another_runs_gets_a_state_machine_of_its_own(
    idle_state_machines,
):
    parse(build_speed.ReusingRSTParser, "A first parse leaves its machine idle.")
    (first,) = idle_state_machines
    idle_state_machines.pop()  # now in use by a parse that has not finished
    assert parse(build_speed.ReusingRSTParser, SAMPLE) == parse(RSTParser, SAMPLE)
    assert len(idle_state_machines) == 1
    assert idle_state_machines[0] is not first


# --- the Locale transform's second pass ------------------------------------------------------


def test_a_parsed_message_used_in_the_first_pass_is_not_handed_out_again():
    paragraph = publish_doctree("Some *words*.", settings_overrides=QUIET)[0]
    assert build_speed.unused(paragraph)
    title = nodes.title()
    title.children = paragraph.children  # what _NodeUpdater.update_leaves does
    for child in paragraph.children:
        child.parent = title
    assert not build_speed.unused(paragraph)


# --- highlighted code ------------------------------------------------------------------------

SESSION = '>>> print("spam")\nspam\n'


def kept_blocks(folder: Path) -> dict[str, str]:
    """What a build starting now finds kept in ``folder``, by name."""
    kept = highlighted_blocks.KeptBlocks(folder / "blocks")
    kept.get("")
    return kept.blocks


def test_a_kept_block_is_the_html_pygments_writes(tmp_path):
    plain = PygmentsBridge("html", "default")
    kept = PygmentsBridge("html", "default")
    kept.highlight_block = highlighted_blocks.HighlightedCode(kept, tmp_path)
    first = kept.highlight_block(SESSION, "pycon", linenos=False)
    assert first == plain.highlight_block(SESSION, "pycon", linenos=False)
    ((name, html),) = kept_blocks(tmp_path).items()
    assert html == first
    highlighted_blocks.KeptBlocks(tmp_path / "blocks").add(name, "what the next build reads")
    next_build = PygmentsBridge("html", "default")
    next_build.highlight_block = highlighted_blocks.HighlightedCode(next_build, tmp_path)
    assert (
        next_build.highlight_block(SESSION, "pycon", linenos=False) == "what the next build reads"
    )


def test_a_block_is_kept_apart_from_the_same_code_with_other_options_or_style(tmp_path):
    bridges = [PygmentsBridge("html", "default"), PygmentsBridge("html", "monokai")]
    for bridge in bridges:
        bridge.highlight_block = highlighted_blocks.HighlightedCode(bridge, tmp_path)
    bridges[0].highlight_block(SESSION, "pycon", linenos=False)
    bridges[0].highlight_block(SESSION, "pycon", linenos=True)
    bridges[0].highlight_block(SESSION, "python", linenos=False)
    bridges[1].highlight_block(SESSION, "pycon", linenos=False)
    assert len(kept_blocks(tmp_path)) == 4


def test_a_block_whose_highlighting_logs_a_warning_is_not_kept(tmp_path, caplog):
    bridge = PygmentsBridge("html", "default")
    bridge.highlight_block = highlighted_blocks.HighlightedCode(bridge, tmp_path)
    for _ in range(2):
        bridge.highlight_block(SESSION, "no-such-language", linenos=False)
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert kept_blocks(tmp_path) == {}


ONE, TWO, THREE = (
    ("1" * 64, "<pre>one</pre>"),
    ("2" * 64, "<pre>two</pre>"),
    ("3" * 64, "<pre>3</pre>"),
)


def record(name: str, html: str) -> bytes:
    data = html.encode()
    return (
        b"%s %d %s\n" % (name.encode(), len(data), highlighted_blocks.KeptBlocks.digest(data))
        + data
    )


def test_a_block_one_build_keeps_is_read_by_another_build_running_beside_it(tmp_path):
    english, russian = (highlighted_blocks.KeptBlocks(tmp_path / "blocks") for _ in range(2))
    assert russian.get(ONE[0]) is None
    english.add(*ONE)
    assert russian.get(ONE[0]) == ONE[1]
    russian.add(*TWO)
    assert english.get(TWO[0]) == TWO[1]
    assert kept_blocks(tmp_path) == dict([ONE, TWO])


def test_a_record_still_being_written_is_read_once_it_is_whole(tmp_path):
    whole = record(*TWO)
    (tmp_path / "blocks").write_bytes(record(*ONE) + whole[:-5])
    reader = highlighted_blocks.KeptBlocks(tmp_path / "blocks")
    assert reader.get(TWO[0]) is None
    assert reader.get(ONE[0]) == ONE[1]
    with open(tmp_path / "blocks", "ab") as file:
        file.write(whole[-5:])
    assert reader.get(TWO[0]) == TWO[1]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda whole: whole[:-5], id="cut short"),
        pytest.param(lambda whole: whole.replace(b"two", b"owt"), id="not its digest"),
        pytest.param(lambda whole: b"garbage\n" + whole, id="not a header"),
    ],
)
def test_a_damaged_record_is_never_handed_out_and_the_next_block_kept_cuts_it_off(tmp_path, damage):
    (tmp_path / "blocks").write_bytes(record(*ONE) + damage(record(*TWO)))
    assert kept_blocks(tmp_path) == dict([ONE])
    highlighted_blocks.KeptBlocks(tmp_path / "blocks").add(*THREE)
    assert (tmp_path / "blocks").read_bytes() == record(*ONE) + record(*THREE)
    assert kept_blocks(tmp_path) == dict([ONE, THREE])


# --- smart quotes ----------------------------------------------------------------------------

#: Blocks with and without something to educate: quotes, apostrophes, dashes, ellipses,
#: backslash escapes, an entity, literals, option lists, Cyrillic, equal text nodes in one
#: paragraph (``replace`` finds a node by equality), nested inline markup.
QUOTED = textwrap.dedent(
    """\
    A "quoted" word, an apostrophe's place, and -- a dash --- or two...

    Nothing to educate here: plain words, a comma, a full stop.

    Only dashes: pages 1--2, a pause --- and no quotes.

    Same *same* same, and again same: *one* and *two* and *three* (two equal text nodes).

    Escapes: \\"not curled\\", 1\\.\\.\\. and the entity &#34; in text.

    ``literal "quotes"`` next to plain text, and ``code`` without any.

    Пустая строка, «ёлочки» и обычный текст.

    -a            An option, "described".
    --long=VALUE  Another option. . . with spaced dots.

    - item *with* emphasis
    - item's apostrophe

    Term
       Definition without anything to change.

    A dash - alone, a hyphen-word and a 'single' quote.
    """
)


def smartquoted(apply, text: str, language: str = "en") -> tuple[str, list[tuple]]:
    """The tree after ``apply`` (a SmartQuotes.apply), with every text node's attributes."""
    from docutils.transforms.universal import SmartQuotes

    document = publish_doctree(
        text, settings_overrides={**QUIET, "smart_quotes": False, "language_code": language}
    )
    document.settings.smart_quotes = True
    document.current_source, document.current_line = "<transforms>", 99
    apply(SmartQuotes(document, startnode=None))
    texts = [
        (str(t), type(t), t.source, t.line, t.document is document, t.parent.index(t))
        for t in document.findall(nodes.Text)
    ]
    return document.pformat(), texts


@pytest.mark.parametrize("language", ["en", "ru"])
def test_smart_quotes_give_the_same_tree_when_blocks_with_nothing_to_educate_are_kept(language):
    replaced = original("docutils.transforms.universal.SmartQuotes.apply")
    expected = smartquoted(replaced, QUOTED, language)
    assert "“" in expected[0] or "«" in expected[0]  # something was educated
    assert smartquoted(build_speed.lean_smartquotes_apply, QUOTED, language) == expected


@pytest.mark.parametrize(
    "text",
    ['say "hi"', "it's", "a -- b", "a --- b", "wait...", "wait. . .", "a \\- b", "&#34;", "`x`"],
)
def test_every_text_that_educates_to_something_else_is_educated(text):
    from docutils.utils import smartquotes

    educated = "".join(smartquotes.educate_tokens([("plain", text)], attr="qDe"))
    if educated != text:
        assert not build_speed.educates_to_itself([nodes.Text(text)])


# --- compiled templates ----------------------------------------------------------------------


class Translations:
    """A gettext catalog of one message, as Sphinx installs it in the template environment."""

    def __init__(self, text: str) -> None:
        self.text = text

    def gettext(self, message: str) -> str:
        return self.text if message == "Search" else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


def test_templates_compiled_by_one_language_render_another_language(tmp_path, monkeypatch):
    """The languages share one folder of compiled templates (tests/sitebuild.py): the code
    Jinja keeps looks each message up when the page is rendered, not when it is compiled."""
    import jinja2

    source = '<a>{{ _("Search") }}</a>{% trans %}Search{% endtrans %}'

    def environment(text: str) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.DictLoader({"page.html": source}),
            extensions=["jinja2.ext.i18n"],
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(tmp_path)),
        )
        env.install_gettext_translations(Translations(text))  # as Sphinx installs them
        return env

    assert environment("Search").get_template("page.html").render() == "<a>Search</a>Search"
    assert len(list(tmp_path.iterdir())) == 1  # compiled and kept
    second = environment("Поиск")
    monkeypatch.setattr(second, "compile", lambda *a, **k: pytest.fail("compiled again"))
    assert second.get_template("page.html").render() == "<a>Поиск</a>Поиск"


# --- the second language's write order -------------------------------------------------------


def search_index(order: list[str], before: list[str] = ()) -> dict:
    """The search index Sphinx freezes after feeding the pages in ``order`` (the pages in
    ``before`` fed earlier, as a rebuild's index has them), each page with an index entry of its
    own and one shared with the others; ``feed_order_restored`` applied when the order is not
    Sphinx's sorted one."""
    from sphinx import addnodes
    from sphinx.search import IndexBuilder

    env = SimpleNamespace(domains=SimpleNamespace(sorted=list), version={})
    for name in ("titles", "filenames", "mapping", "title_mapping", "all_titles"):
        setattr(env, f"_search_index_{name}", {})
    for name in ("index_entries", "objtypes", "objnames"):
        setattr(env, f"_search_index_{name}", {})
    indexer = IndexBuilder(env, "en", {}, "")

    def feed(name: str) -> None:
        tree = publish_doctree(
            f"Page {name}\n=======\n\nWords of {name}.\n", settings_overrides=QUIET
        )
        tree += addnodes.index(
            entries=[("single", "shared entry", f"id-{name}", "", None),
                     ("single", f"entry {name}", f"own-{name}", "", None)]
        )  # fmt: skip
        indexer.feed(name, f"{name}.html", f"Page {name}", tree)

    for name in before:
        feed(name)
    known = list(indexer._index_entries)
    for name in order:
        feed(name)
    if list(order) != sorted(order):
        build_speed.feed_order_restored(indexer._index_entries, known, sorted(order))
    return indexer.freeze()


@pytest.mark.parametrize("before", [[], ["b", "z"]], ids=["clean", "rebuild"])
def test_pages_written_last_first_give_the_search_index_of_sphinx_order(before):
    pages = ["a", "b", "c", "d"]
    expected = search_index(pages, before)
    assert len(expected["indexentries"]["shared entry"]) == len({*pages, *before})
    assert search_index(pages[::-1], before) == expected


# --- furo's navigation tree ------------------------------------------------------------------


def toctree_html(current: str | None, nested_current: bool = False) -> str:
    """A sidebar toctree as Sphinx writes it for the site: captions, entries, an entry with
    a sublist; ``current`` names the entry of the page being written."""

    def entry(level: int, title: str, href: str, sublist: str = "") -> str:
        is_current = title == current or (sublist and nested_current)
        li = f'<li class="toctree-l{level}{" current" if is_current else ""}">'
        a = f'<a class="{"current " if title == current else ""}reference internal"'
        link = f'{li}{a} href="{"#" if title == current else href}">{title}</a>'
        return f"{link}{sublist}" if sublist else f"{link}</li>"

    caption = '<p aria-level="2" class="caption" role="heading">'
    caption += '<span class="caption-text">{}</span></p>'
    sub = '<ul class="current">' if nested_current else "<ul>"
    return "\n".join([
        caption.format("Start here"), "<ul>", entry(1, "Overview", "overview.html"), "</ul>",
        caption.format("Сессия"), '<ul class="current">' if current == "Basics" else "<ul>",
        entry(1, "Basics", "session/basics.html"), entry(1, "Flush", "session/flush.html"),
        "</ul>",
        caption.format("Misconceptions"), "<ul>",
        entry(1, "Разбор заблуждений", "misconceptions.html", sub),
        entry(2, "Core", "misconceptions/core.html"), entry(2, "Pool", "misconceptions/pool.html"),
        "</ul>", "</li>",
        entry(1, "Its own: it's", "own.html", "<ul>"), entry(2, "Deep", "own/deep.html"),
        "</ul>", "</li>", "</ul>", "",
    ])  # fmt: skip


@pytest.mark.parametrize(
    "html",
    [
        toctree_html(None),
        toctree_html("Basics"),
        toctree_html("Core", nested_current=True),
        toctree_html("Разбор заблуждений", nested_current=True),
        toctree_html("Deep"),
        toctree_html("Basics").replace("Flush", "Flush &amp; &quot;expire&quot; &#64; once"),
        toctree_html("Deep").replace("Its own", "Its &quot;own&quot; &amp; more"),
        toctree_html("Basics").replace('"session/basics.html"', '"a.html?b=1&amp;c=2"'),
        toctree_html(None).rstrip("\n"),
        "",
    ],
    ids=lambda html: str(len(html)),
)
def test_the_navigation_tree_is_the_one_furo_makes_with_beautifulsoup(html):
    furos = build_speed.INTERNALS["furo.navigation.get_navigation_tree"][0]
    assert build_speed.navigation_tree(html) == furos(html)


def test_the_sites_navigation_trees_are_made_without_beautifulsoup(monkeypatch):
    monkeypatch.setattr(build_speed, "_furo_navigation_tree", lambda html: pytest.fail(html))
    for current in [None, "Basics", "Core", "Deep"]:
        assert "has-children" in build_speed.navigation_tree(toctree_html(current, True))


# --- tests/sitebuild.py: modules imported on first use ---------------------------------------


def test_a_module_imported_on_first_use_is_imported_by_its_first_attribute(tmp_path, monkeypatch):
    from tests import sitebuild

    (tmp_path / "slow_to_import.py").write_text(
        "import sys\nsys.slow_to_import_ran = True\nVALUE = 42\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)
    monkeypatch.setattr(sys, "slow_to_import_ran", False, raising=False)
    sitebuild.import_on_first_use("slow_to_import")
    import slow_to_import  # as BeautifulSoup imports soupsieve: the stand-in

    assert sys.slow_to_import_ran is False
    assert slow_to_import.VALUE == 42
    assert sys.slow_to_import_ran is True
    assert sys.modules["slow_to_import"] is not slow_to_import  # the module itself, now
    assert sys.modules["slow_to_import"].VALUE == 42


# --- pages handed over to a forked process when the other builds have ended -----------------


def test_the_pages_handed_over_are_the_last_and_weigh_what_leaves_both_processes_even():
    left = ["a", "b", "c", "d", "e", "f", "g", "h"]
    weights = dict.fromkeys(left, 1.0)
    handed = build_speed.handed_pages(left, weights)
    assert handed == left[-len(handed) :]
    kept = len(left) - len(handed) + build_speed.KEPT_SHARE * len(handed)
    assert abs(kept - len(handed)) <= 1  # within a page of each other
    assert build_speed.handed_pages(["big", "x", "y", "z"], {"big": 9, "x": 1, "y": 1, "z": 1})
    assert "first" not in build_speed.handed_pages(["first", "x"], {"first": 1, "x": 100})


def test_the_other_builds_have_ended_once_every_process_holding_the_pipe_has_ended():
    read, write = os.pipe()
    others = build_speed.OtherBuilds(read)
    child = os.fork()
    if child == 0:  # a build running beside this one: holds the write end until it ends
        os.close(read)
        time.sleep(0.3)
        os._exit(0)
    os.close(write)  # this build holds no write end of its own pipe
    try:
        assert not others.done()
        os.waitpid(child, 0)
        assert others.done()
    finally:
        os.close(read)


PAGES = {
    "index": "Index\n=====\n\n.. toctree::\n\n" + "".join(f"   page{n}\n" for n in range(1, 7)),
    **{
        f"page{n}": f"Page {n}\n======\n\nWords of page {n}, and a shared word.\n\n"
        f".. code-block:: python\n\n   print({n})\n\n.. index:: single: shared entry\n"
        for n in range(1, 7)
    },
}


def site_source(folder: Path, pages: dict[str, str], conf: str) -> Path:
    """A Sphinx source folder in ``folder``/source with ``pages`` (name: reStructuredText) and
    a conf.py that puts docs/_ext on the path, then says ``conf``."""
    source = folder / "source"
    for page, text in pages.items():
        (source / f"{page}.rst").parent.mkdir(parents=True, exist_ok=True)
        (source / f"{page}.rst").write_text(text, encoding="utf-8")
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\n{conf}",
        encoding="utf-8",
    )
    return source


def build_small_site(tmp_path: Path, name: str, pages: dict, handing_over: bool):
    """A six-page site built with build_speed in ``python -m sphinx -W -n --keep-going -v``;
    with ``handing_over``, told that the other builds have already ended."""
    source = site_source(tmp_path, pages, "extensions = ['build_speed']\nproject = 'small'\n")
    out = tmp_path / name
    arguments = ["-b", "html", "-W", "-n", "--keep-going", "-v", "-d", str(out / ".doctrees")]
    read, write = os.pipe()
    try:
        if handing_over:
            arguments += ["-D", f"build_speed_others_fd={read}"]
        os.close(write)  # no other build: the pipe is at its end
        done = subprocess.run(
            [sys.executable, "-m", "sphinx", *arguments, str(source), str(out / "html")],
            capture_output=True,
            text=True,
            pass_fds=(read,),
            check=False,
        )
    finally:
        os.close(read)
    return done, out / "html"


HANDED_OVER = "pages written by a forked process"


def test_a_site_with_pages_handed_over_is_the_site_written_in_one_process(tmp_path):
    serial, serial_site = build_small_site(tmp_path, "serial", PAGES, handing_over=False)
    handed, handed_site = build_small_site(tmp_path, "handed", PAGES, handing_over=True)
    assert serial.returncode == handed.returncode == 0, serial.stdout + handed.stderr
    assert HANDED_OVER not in serial.stdout
    assert HANDED_OVER in handed.stdout
    written = sorted(p.relative_to(serial_site) for p in serial_site.rglob("*") if p.is_file())
    assert written == sorted(
        p.relative_to(handed_site) for p in handed_site.rglob("*") if p.is_file()
    )
    for page in written:
        if page.name != ".buildinfo":
            assert (handed_site / page).read_bytes() == (serial_site / page).read_bytes(), page


def test_warnings_about_a_page_written_by_the_forked_process_fail_the_build_once_each(tmp_path):
    """One warning while resolving (both processes resolve the page), one while writing."""
    broken = "\nSee :ref:`nowhere`.\n\n.. code-block:: python\n\n   a = $b\n"
    bad = dict(PAGES, page6=PAGES["page6"] + broken)
    serial, _ = build_small_site(tmp_path, "serial", bad, handing_over=False)
    handed, _ = build_small_site(tmp_path, "handed", bad, handing_over=True)
    assert HANDED_OVER in handed.stdout
    assert serial.returncode == handed.returncode == 1
    warnings = [line for line in handed.stderr.splitlines() if "page6.rst" in line]
    assert len(warnings) == 2, handed.stderr
    assert "undefined label: 'nowhere'" in warnings[0]
    assert "Lexing literal_block" in warnings[1]
    assert warnings == [line for line in serial.stderr.splitlines() if "page6.rst" in line]


# --- doctest blocks highlighted ahead of the builds ------------------------------------------

DOCTESTS = {
    "index": "Index\n=====\n\n.. toctree::\n\n   more\n\n>>> 1 + 1\n2\n\nText.\n\n"
    ".. note::\n\n   Inside a directive:\n\n   >>> print('a')\n   a\n",
    "more": "More\n====\n\n.. code-block:: pycon\n\n   >>> x = 1\n   >>> x\n   1\n\n"
    "- a list item\n\n  >>> [1, 2]\n  [1, 2]\n",
}


def test_every_doctest_block_a_build_highlights_was_highlighted_ahead(tmp_path):
    conf = "extensions = ['build_speed']\npygments_style = 'default'\n"
    source = site_source(tmp_path, DOCTESTS, conf)
    folder = tmp_path / "highlighted"
    assert highlighted_blocks.highlight_ahead(source, folder, "default", lambda: False) == 4
    ahead = (folder / "blocks").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", "-D",
         f"build_speed_highlighted={folder}", str(source), str(tmp_path / "html")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (folder / "blocks").read_bytes() == ahead  # the build highlighted nothing itself


def test_highlighting_ahead_stops_when_told(tmp_path):
    (tmp_path / "page.rst").write_text(DOCTESTS["index"], encoding="utf-8")
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 1

    assert highlighted_blocks.highlight_ahead(tmp_path, tmp_path / "kept", "default", stop) == 1


def test_the_process_highlighting_ahead_ends_when_stopped(tmp_path):
    from tests.sitebuild import HighlightingAhead

    ahead = HighlightingAhead(tmp_path)
    ahead.only_when_idle()
    ahead.stop()
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.pid, os.WNOHANG)  # reaped, not left behind


def test_a_process_highlighting_ahead_that_does_not_stop_is_killed(tmp_path, monkeypatch):
    from tests.sitebuild import HighlightingAhead

    monkeypatch.setattr(HighlightingAhead, "highlight", lambda self, folder: time.sleep(60))
    ahead = HighlightingAhead(tmp_path)
    started = time.monotonic()
    ahead.stop(grace=0.2)
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.pid, os.WNOHANG)


# --- the sidebar's toctree of every page, from the root document's ---------------------------

NAVIGATED = {
    "index": "Index\n=====\n\n.. toctree::\n   :caption: First\n\n"
    "   one\n   dir/two\n   dir/sub/three\n\n"
    ".. toctree::\n   :caption: Second\n\n   dir/two\n   four\n\n"
    ".. toctree::\n   :hidden:\n\n   hidden\n",
    "one": "One\n===\n\nText.\n\nA section\n---------\n\nMore.\n",
    "dir/two": "Two\n===\n\n.. toctree::\n\n   five\n   sub/three\n",
    "dir/five": "Five\n====\n\nText.\n",
    "dir/sub/three": "Three\n=====\n\nText.\n",
    "four": "Four\n====\n\nText.\n",
    "hidden": "Hidden\n======\n\nText.\n",
    "lonely": ":orphan:\n\nLonely\n======\n\nIn no toctree.\n",
}

BUILD_COUNTING_NAVIGATIONS = """
import sys
sys.path.insert(0, {ext!r})
import build_speed
import sphinx.cmd.build
made = []
if {fast}:
    navigation_of = build_speed.navigation_of
    build_speed.navigation_of = lambda root, uri: made.append(uri) or navigation_of(root, uri)
else:
    build_speed.FURO_NAVIGATION = {{"never": "equal"}}
status = sphinx.cmd.build.main(sys.argv[1:])
print("navigations made:", len(made))
sys.exit(status)
"""


def build_navigated_site(tmp_path: Path, name: str, fast: bool) -> tuple[str, Path]:
    conf = "extensions = ['accessibility', 'build_speed']\nhtml_theme = 'furo'\n"
    source = site_source(tmp_path, NAVIGATED, conf)
    script = BUILD_COUNTING_NAVIGATIONS.format(ext=str(ROOT / "docs" / "_ext"), fast=fast)
    out = tmp_path / name
    done = subprocess.run(
        [sys.executable, "-c", script, "-b", "html", "-W", "-n", "-q", "-d", str(out / "doctrees"),
         str(source), str(out / "html")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, out / "html"


def test_every_pages_sidebar_made_from_the_root_documents_is_the_one_sphinx_resolves(tmp_path):
    fast, fast_site = build_navigated_site(tmp_path, "fast", fast=True)
    resolved, resolved_site = build_navigated_site(tmp_path, "resolved", fast=False)
    pages = sorted(page.relative_to(resolved_site) for page in resolved_site.rglob("*.html"))
    assert len(pages) == len(NAVIGATED) + 2  # and the index and search pages
    assert f"navigations made: {len(pages)}" in fast  # every page's, from the root document's
    assert "navigations made: 0" in resolved
    for page in pages:
        assert (fast_site / page).read_text() == (resolved_site / page).read_text(), page
    assert 'class="current reference internal" href="#"' in (fast_site / "dir/two.html").read_text()
