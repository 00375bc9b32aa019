"""A faster build, the same site: every hook into Sphinx's, docutils', Jinja's or furo's internals
that makes the build faster lives here, and nowhere else.

Each hook replaces one piece of work the build did again and again with the same result, and
says what it replaces. Each one relies on how a pinned version (pyproject.toml) works inside, so
:func:`check_internals` compares the source of every function a hook copies or relies on with
the source it was written against, and stops the build with an error naming the hook when one
differs (after an upgrade): a hook must be reviewed, never silently produce a different page.

- :class:`ReusingRSTParser` (reading): docutils builds a new reStructuredText state machine,
  15 states compiling their transition tables, and a new inline-markup parser with its regular
  expressions, for every text it parses. Sphinx parses every translated message on its own
  (twice: Locale transform, phases 1 and 2), 2,500 times for the Russian site, and a state
  machine costs about a millisecond to build: the parser keeps one idle state machine and one
  inline parser and reuses them, as docutils itself reuses its nested state machines
  (``RSTState.nested_sm_cache``).
- :class:`ParsedMessages` (reading): the Locale transform parses every translated message
  twice: in its first pass, to find the section titles and glossary terms among them (every
  other message's parse is thrown away), and again in its second pass, which uses it. The
  hook keeps what the first pass parsed, and hands it to the second pass for the same text
  at the same place, unless the first pass used it or parsing it numbered anything (index
  targets, ids) or reported a problem: those are parsed again, as before.
- :func:`iterative_fast_findall` (reading and writing): docutils walks a tree for a node class
  (``findall(SomeClass)``, ``findall()``) with a recursive generator: a generator frame for
  every node, and every node found is passed up through one frame per level above it. Sphinx's
  transforms and post-transforms walk every page some 40 times that way. The hook walks with
  one generator and a stack of the children lists' iterators: the same nodes in the same
  order, read from the same live lists at the same moments, 1.5-2 times faster.
- :func:`node_matcher_findall` (reading and writing): Sphinx finds nodes with a
  ``NodeMatcher`` (node classes and attribute values), which docutils' ``findall`` can only
  call as a generic condition: a generator frame and a call for every node of the document.
  The Locale transform alone does it once for every translated section title, over the whole
  page. The hook walks the tree with docutils' own fast walk for the matcher's classes and
  asks the matcher about those nodes only: the same nodes, in the same order, 2-4 times faster.
- :func:`lazy_repr_domxml` (reading): Sphinx's ``is_translatable`` passes the XML of the node
  to ``logger.debug`` when it skips a node (every code block, in both passes of the Locale
  transform), and ``repr_domxml`` builds that XML with minidom before the logger can decide
  to drop the message, as it does unless the build is run with ``-vv``. The hook passes an
  object that builds the same text when (and only when) the message is written.
- :func:`lean_smartquotes_apply` (reading and writing): docutils' SmartQuotes transform
  "educates" every block of text of every page (and of every title Sphinx renders on its
  own), and replaces each of its text nodes with a new one, even when the block has no quote,
  dash or ellipsis to change, as most blocks have not. With the default action, the hook
  leaves such a block's text alone and gives its nodes what the new nodes would have been
  given (the document's current source and line): the same tree, 95-99 % of the blocks
  left alone.
- :func:`titles_only_toctree` (writing): furo draws the sidebar of every page from
  ``toctree(titles_only=True, maxdepth=-1, ...)``. Sphinx answers it by deep-copying every
  page's whole table of contents, every section at every level, and then dropping all but the
  page titles; for each of the site's pages. The hook hands Sphinx tables of contents already
  reduced to what ``titles_only`` keeps, made once per build, for that call only. And Sphinx
  resolves the whole tree again for every page (a tenth of a second per language) to give the
  same entries with other links and other ``current`` classes: the hook has it resolved once,
  for the root document, and makes every page's from it (:func:`navigation_of`), as Sphinx
  marks the page's entries and relates the links; a tree with any other line, or with the
  root document in it, is resolved by Sphinx for every page.
- :func:`navigation_tree` (writing): furo adds the sidebar's checkboxes to the toctree's HTML
  of every page by parsing it with BeautifulSoup and writing it back, a tenth of a second per
  language. The site's toctrees are a handful of regular lines (captions, lists, entries), so
  the hook makes the same changes line by line; HTML with any other line (or an entity, which
  BeautifulSoup would write back differently) goes to furo. BeautifulSoup is pinned with furo.
- :func:`keep_compiled_templates` (writing): Jinja compiles the theme's templates into Python
  at every build, a tenth of a second that a one-page rebuild spends again and again. Jinja's
  own bytecode cache keeps the compiled templates in the doctree folder (gone with a clean
  build), each checked against its template's source; a template that changed is compiled
  again. The folder's name says how the templates are compiled (Jinja's version, the
  environment's class and extensions), so a different set-up never reads another's code.
  ``tests/sitebuild.py`` gives the languages one folder (``build_speed_templates``, under the
  doctree root): the compiled code holds no translation (``_()`` is looked up as the page is
  rendered), so the language that writes second reads what the first one compiled.
- :class:`~highlighted_blocks.HighlightedCode` (writing; in highlighted_blocks.py, which
  tests/sitebuild.py imports before Sphinx): Pygments takes a quarter of the writing, for code
  that is the same in every language and, in a rebuild, on every page that did not change its
  examples. Each highlighted block is kept under a name made of everything its HTML depends
  on (the code, its language and options, the style, the Pygments and Sphinx versions, the
  lexers Sphinx was given); a block that was highlighted before, by this language or by
  another one being built next to it, is read instead of highlighted again. The blocks are
  appended to one file (:class:`~highlighted_blocks.KeptBlocks`), not kept a file each: on
  this project's ext4 disks, creating some 650 files and folders after a clean build had
  deleted as many cost more than half a second of the kernel's time. The file lives in the
  doctree folder (``tests/sitebuild.py`` gives both languages the same folder, under its
  doctree root), so a clean build starts without it. A block whose highlighting logged
  anything (an unknown lexer, a lexing error) is not kept: its warning comes every time.
  tests/sitebuild.py highlights the pages' doctest blocks ahead of the builds, while their
  modules are imported (:func:`~highlighted_blocks.highlight_ahead`).
- :func:`write_pages` (writing): the languages' builds share their highlighted blocks, and
  the English build starts writing first. The build given ``build_speed_write_last_first``
  (by ``tests/sitebuild.py``, every language but the first) writes its pages from the last to
  the first, so the two builds highlight different blocks and meet in the middle, instead of
  highlighting the same blocks at the same time once the second has caught up. And the
  Russian build, which also reads the translations, ends last, its core busy while the
  English one idles: a build told when the others have ended (``build_speed_others_fd``)
  hands half of the pages it has left to a forked process then, as Sphinx's parallel
  writing does. The search index's entries are put back in Sphinx's order, the only thing
  the order of writing changed.
- :func:`reuse_code_formatters` (writing): Sphinx makes a new Pygments ``HtmlFormatter`` for
  every code block, and each one builds the whole stylesheet of its style (every token type)
  before it writes a line. A formatter keeps nothing from one block to the next (only a memo
  of the span each token type opens), so one formatter per set of options serves them all.
"""

from __future__ import annotations

import hashlib
import os
import re
import select
import weakref
from contextlib import nullcontext
from pathlib import Path

import docutils.statemachine
import furo
import furo.navigation
import jinja2
import sphinx
import sphinx.builders
import sphinx.environment
import sphinx.highlighting
import sphinx.transforms.i18n
import sphinx.util.nodes
from docutils import nodes, utils
from docutils.parsers.rst import states
from docutils.statemachine import StringList
from docutils.transforms.universal import SmartQuotes
from docutils.utils import smartquotes
from docutils.writers._html_base import HTMLTranslator
from highlighted_blocks import HighlightedCode, ReusedFormatters
from pygments.formatters import HtmlFormatter
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders import _write_docname
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.domains.std import make_glossary_term
from sphinx.environment import BuildEnvironment
from sphinx.environment.adapters import toctree as toctree_adapter
from sphinx.errors import ExtensionError
from sphinx.highlighting import PygmentsBridge
from sphinx.locale import __
from sphinx.parsers import RSTParser
from sphinx.search import IndexBuilder
from sphinx.transforms import SphinxSmartQuotes
from sphinx.util import logging as sphinx_logging
from sphinx.util.build_phase import BuildPhase
from sphinx.util.display import status_iterator
from sphinx.util.nodes import NodeMatcher
from sphinx.util.osutil import relative_uri
from sphinx.util.parallel import ParallelTasks, parallel_available
from sphinx.writers.html5 import HTML5Translator

logger = sphinx_logging.getLogger(__name__)

#: Each internal function a hook copies or relies on, with the digest of its source for the
#: pinned versions: the first 16 hex digits of the SHA-256 of its lines in its module's file.
INTERNALS: dict[str, tuple[object, str]] = {}


def relies_on(function, digest: str) -> None:
    INTERNALS[f"{function.__module__}.{function.__qualname__}"] = (function, digest)


def source_lines(code) -> tuple[int, int]:
    """The first and last line of a function's source, nested functions included."""
    last = max((line for _, _, line in code.co_lines() if line is not None), default=0)
    for constant in code.co_consts:
        if hasattr(constant, "co_lines"):
            last = max(last, source_lines(constant)[1])
    return code.co_firstlineno, last


def source_digest(function) -> str:
    """Digest of the function's source lines (``inspect.getsource`` would parse the module's
    tokens for each function: a tenth of a second at every start-up)."""
    code = function.__code__
    first, last = source_lines(code)
    with open(code.co_filename, "rb") as file:
        lines = file.read().splitlines()[first - 1 : last]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()[:16]


def check_internals() -> None:
    """Stop the build when a function a hook relies on is not the one it was written for."""
    changed = [
        name for name, (function, digest) in INTERNALS.items() if source_digest(function) != digest
    ]
    if changed:
        raise ExtensionError(
            "docs/_ext/build_speed.py relies on internals that changed in the installed "
            f"versions: {', '.join(changed)}. Review the hook that names each one, then "
            "update its digest."
        )


# --- reading: one reStructuredText state machine, reused ------------------------------------


def reusable_inliner() -> states.Inliner:
    """An inline-markup parser that compiles its patterns once per combination of settings.

    ``RSTStateMachine.run`` calls ``init_customizations`` on every run; on a reused inliner
    that would also append the implicit patterns (URIs, PEP, RFC) again on every run. (Not a
    subclass: ``init_customizations`` reads its pattern parts from ``vars(self.__class__)``.)
    """
    inliner = states.Inliner()
    customize = inliner.init_customizations
    customized_for = []

    def init_customizations(settings) -> None:
        key = (
            getattr(settings, "character_level_inline_markup", False),
            settings.pep_references,
            settings.rfc_references,
        )
        if customized_for != [key]:
            inliner.implicit_dispatch = []
            customize(settings)
            customized_for[:] = [key]

    inliner.init_customizations = init_customizations
    return inliner


relies_on(states.Inliner.init_customizations, "6374d3b2c7a59f84")


class ReusingRSTParser(RSTParser):
    """Sphinx's reStructuredText parser, with a state machine and an inliner that outlive one
    parse. A parse that starts while another runs (never seen, but possible from an extension)
    gets a new state machine, as before."""

    _idle: list[states.RSTStateMachine] = []
    _inliner = reusable_inliner()

    def parse(self, inputstring: str | StringList, document: nodes.document) -> None:
        # Sphinx's RSTParser.parse, with the state machine taken from the idle list
        self.setup_parse(inputstring, document)  # type: ignore[arg-type]
        debug = document.reporter.debug_flag
        idle = self._idle
        machine = idle.pop() if idle and idle[-1].debug == debug else self._new_state_machine(debug)
        self.statemachine = machine

        if isinstance(inputstring, str):
            lines = docutils.statemachine.string2lines(
                inputstring,
                tab_width=document.settings.tab_width,
                convert_whitespace=True,
            )
            inputlines = StringList(lines, document.current_source)
        else:
            inputlines = inputstring

        self.decorate(inputlines)
        machine.run(inputlines, document, inliner=self._inliner)
        self.finish_parse()
        self._idle.append(machine)

    def _new_state_machine(self, debug: bool) -> states.RSTStateMachine:
        return states.RSTStateMachine(
            state_classes=self.state_classes, initial_state=self.initial_state, debug=debug
        )


relies_on(RSTParser.parse, "be04ad0c7a94341d")
relies_on(states.RSTStateMachine.run, "e07e602d32f26234")
relies_on(docutils.statemachine.StateMachine.run, "3a38e9b74cfcbdf6")


# --- reading: each translated message parsed once -------------------------------------------

_parse_message = sphinx.transforms.i18n._publish_msgstr


class ParsedMessages:
    """Stands in for ``sphinx.transforms.i18n._publish_msgstr`` (parse one translated message
    into a node): returns a node parsed earlier from the same text at the same place of the
    same page, if nobody has used it, or else parses the text."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str, int], list[nodes.Element]] = {}
        self.environment = None

    def forget(self, *args) -> None:
        """At ``source-read``: nothing kept from another reading applies to the next."""
        self.kept = {}

    def __call__(self, source: str, source_path: str, source_line: int, **context):
        if self.environment is None or self.environment() is not context["env"]:
            self.forget()  # another build in the same process, with or without this extension
            self.environment = weakref.ref(context["env"])
        key = (source, source_path, source_line)
        while self.kept.get(key):
            parsed = self.kept[key].pop(0)
            if unused(parsed):
                return parsed
        serial_numbers = context["env"].current_document._serial_numbers
        numbered_before = dict(serial_numbers)
        parsed = _parse_message(source, source_path, source_line, **context)
        if serial_numbers == numbered_before and not any(
            True for _ in parsed.findall(nodes.system_message)
        ):
            self.kept.setdefault(key, []).append(parsed)
        return parsed


def unused(parsed: nodes.Element) -> bool:
    """True unless the node's children were moved into the page (a title or a glossary term
    in the first pass: ``_NodeUpdater.update_leaves``, ``make_glossary_term``)."""
    return all(child.parent is parsed for child in parsed.children)


relies_on(sphinx.transforms.i18n._publish_msgstr, "3693eff0a3dcd6b3")
relies_on(sphinx.transforms.i18n.Locale.apply, "73d9cda3703dfe77")
relies_on(sphinx.transforms.i18n._NodeUpdater.update_leaves, "1995f48f0cc50daf")
relies_on(sphinx.transforms.i18n._NodeUpdater.update_title_mapping, "22ed1f26e2b57698")
relies_on(make_glossary_term, "bcb8fccee8d562b6")
relies_on(sphinx.environment._CurrentDocument.new_serial_number, "3a71cb5b7e072f50")


# --- reading and writing: walking the tree without a generator per node ---------------------


def iterative_fast_findall(self: nodes.Node, cls):
    """``Node._fast_findall``: the nodes of the tree under ``self`` (``self`` first) that are
    instances of ``cls``, depth first. As in the recursive original, a node's ``children`` are
    read once the node itself has been yielded (and checked), and each list is iterated live."""
    if isinstance(self, cls):
        yield self
    stack = [iter(self.children)]
    while stack:
        for child in stack[-1]:
            if isinstance(child, cls):
                yield child
            if child.children:
                stack.append(iter(child.children))
                break
        else:
            stack.pop()


def iterative_superfast_findall(self: nodes.Node):
    """``Node._superfast_findall``: every node of the tree under ``self``, depth first."""
    yield self
    stack = [iter(self.children)]
    while stack:
        for child in stack[-1]:
            yield child
            if child.children:
                stack.append(iter(child.children))
                break
        else:
            stack.pop()


relies_on(nodes.Node._superfast_findall, "883cc7e87c8b99e6")
relies_on(
    nodes.Text.__new__, "c0d5b5a610f5b8b2"
)  # a Text node's children: the empty tuple (class body)


# --- reading and writing: finding nodes by class and attributes -----------------------------

_generic_node_matcher_findall = NodeMatcher.findall


def node_matcher_findall(self: NodeMatcher, node: nodes.Node):
    """``NodeMatcher.findall``: the nodes of the tree under ``node`` (``node`` included), in
    document order, that the matcher matches. ``_fast_findall`` yields, in the same order, the
    nodes that are instances of the matcher's classes, which ``match`` checks first anyway."""
    if not self.classes:
        yield from _generic_node_matcher_findall(self, node)
        return
    for found in node._fast_findall(self.classes):
        if self.match(found):
            yield found


relies_on(NodeMatcher.findall, "f914fc52d5fef53d")
relies_on(NodeMatcher.match, "ab9e12807565ac04")
relies_on(nodes.Node.findall, "d613b7f60e18577a")
relies_on(nodes.Node._fast_findall, "1a854e043fcadd00")


# --- reading: debug messages that nobody reads ----------------------------------------------

_eager_repr_domxml = sphinx.util.nodes.repr_domxml


class LazyDomXML:
    """The text ``repr_domxml(node, length)`` returns, made when a message is formatted."""

    __slots__ = ("node", "length", "text")

    def __init__(self, node: nodes.Node, length: int) -> None:
        self.node, self.length, self.text = node, length, None

    def __str__(self) -> str:
        if self.text is None:
            self.text = _eager_repr_domxml(self.node, self.length)
        return self.text

    def __repr__(self) -> str:
        return repr(str(self))


def lazy_repr_domxml(node: nodes.Node, length: int = 80) -> LazyDomXML:
    return LazyDomXML(node, length)


# every caller passes the result to logger.debug only: see is_translatable
relies_on(sphinx.util.nodes.repr_domxml, "098b022c9a9303fb")
relies_on(sphinx.util.nodes.is_translatable, "6f807da2306b4075")
relies_on(sphinx.util.nodes.apply_source_workaround, "37680fb022fae9df")


# --- reading and writing: smart quotes only where there is something to educate --------------

#: What the default action, ``qDe`` (quotes, old-school dashes, ellipses), changes in a text,
#: with what ``get_tokens`` and ``processEscapes`` change: quotes, backslashes, null-escapes,
#: ``--``, ``...`` and ``. . .``, and the entities ``processEscapes(restore=True)`` turns
#: back into characters. A block of text whose text nodes hold none of them educates to the
#: same texts; a backtick is listed too, for the actions that read it.
EDUCATED = re.compile(r"""["'`\\\x00]|--|\.\.\.|\. \. \.|&#""")


def educates_to_itself(text_nodes: list[nodes.Text]) -> bool:
    return all(type(text) is nodes.Text and not EDUCATED.search(text) for text in text_nodes)


def as_if_replaced(text_nodes: list[nodes.Text]) -> None:
    """What ``txtnode.parent.replace(txtnode, nodes.Text(newtext))`` leaves in the tree when
    ``newtext`` is the node's own text: the child that ``index`` finds (the first equal one)
    is now a new node, which ``setup_child`` gave the document's current source and line.
    The node already there is given them instead."""
    for text in text_nodes:
        parent = text.parent
        kept = parent.children[parent.index(text)]
        document = parent.document
        if document:
            kept.document = document
            kept.source, kept.line = document.current_source, document.current_line
        else:
            kept.document = None
            kept.source = kept.line = None


def lean_smartquotes_apply(self: SmartQuotes) -> None:
    """``SmartQuotes.apply`` (docutils), with one change: with the default action, a block of
    text that has nothing to educate is not educated, and its text nodes are kept (as the
    nodes that would have replaced them: see :func:`as_if_replaced`) instead of replaced."""
    smart_quotes = self.document.settings.setdefault("smart_quotes", False)
    if not smart_quotes:
        return
    try:
        alternative = smart_quotes.startswith("alt")
    except AttributeError:
        alternative = False

    document_language = self.document.settings.language_code
    lc_smartquotes = self.document.settings.smartquotes_locales
    if lc_smartquotes:
        smartquotes.smartchars.quotes.update(dict(lc_smartquotes))
    default_action = self.smartquotes_action == "qDe"

    for node in self.document.findall(nodes.TextElement):
        if isinstance(node, self.nodes_to_skip):
            continue
        if isinstance(node.parent, nodes.TextElement):
            continue

        txtnodes = [
            txtnode
            for txtnode in node.findall(nodes.Text)
            if not isinstance(txtnode.parent, nodes.option_string)
        ]

        lang = node.get_language_code(document_language)
        if alternative:
            if "-x-altquot" in lang:
                lang = lang.replace("-x-altquot", "")
            else:
                lang += "-x-altquot"
        for tag in utils.normalize_language_tag(lang):
            if tag in smartquotes.smartchars.quotes:
                lang = tag
                break
        else:
            if lang not in self.unsupported_languages:
                self.document.reporter.warning(
                    f'No smart quotes defined for language "{lang}".', base_node=node
                )
            self.unsupported_languages.add(lang)
            lang = ""

        if default_action and educates_to_itself(txtnodes):
            as_if_replaced(txtnodes)
            continue
        teacher = smartquotes.educate_tokens(
            self.get_tokens(txtnodes), attr=self.smartquotes_action, language=lang
        )

        for txtnode, newtext in zip(txtnodes, teacher, strict=False):
            txtnode.parent.replace(txtnode, nodes.Text(newtext))

    self.unsupported_languages.clear()


relies_on(SmartQuotes.apply, "c2b3fddadc1fef70")
relies_on(SmartQuotes.get_tokens, "06a6a6466cd5c994")
relies_on(SphinxSmartQuotes.get_tokens, "c24a7ab411d4ade9")
relies_on(SphinxSmartQuotes.apply, "c0c3a562fe6eb17b")
relies_on(smartquotes.educate_tokens, "3dfe450435221c5d")
relies_on(smartquotes.educateQuotes, "932ca461cc83e06a")
relies_on(smartquotes.educateDashesOldSchool, "2ec4abb31a2068c3")
relies_on(smartquotes.educateEllipses, "9ad99f332d9426a4")
relies_on(smartquotes.processEscapes, "e0679d1372b173af")
relies_on(nodes.Element.replace, "868ab32bb3ab304e")
relies_on(nodes.Element.__setitem__, "596c56a50ae62255")
relies_on(nodes.Node.setup_child, "1057aea428439419")
relies_on(nodes.Element.index, "0c2cd7bf75da66b1")
relies_on(sphinx.util.nodes.is_smartquotable, "78d3f355e4a1ea1d")


# --- writing: the sidebar's titles-only table of contents -----------------------------------


def titles_only_toc(toc: nodes.bullet_list) -> nodes.bullet_list:
    """A page's table of contents (``env.tocs[page]``) as the ``titles_only`` step of
    ``_entries_from_toctree`` leaves it: each top-level entry keeps its title and, in place of
    its sections, the toctrees found anywhere under them. Only what is kept is copied."""
    reduced = toc.copy()
    for top_level in toc.children:
        if len(top_level) > 1:
            entry = top_level.copy()
            entry += top_level[0].deepcopy()
            if subtrees := [subtree.deepcopy() for subtree in top_level.findall(addnodes.toctree)]:
                entry += top_level[1].copy()
                entry[1][:] = subtrees
            entry += [child.deepcopy() for child in top_level.children[2:]]  # never seen
        else:
            entry = top_level.deepcopy()
        reduced += entry
    return reduced


def titles_only_tocs(env: BuildEnvironment) -> dict[str, nodes.bullet_list] | None:
    """Every page's reduced table of contents, made once per build; None when a page's table
    of contents has an ``only`` node (Sphinx decides on those while copying, before it drops
    the sections, so reducing first could keep a toctree it would not)."""
    if env not in _TITLES_ONLY_TOCS:
        if any(any(True for _ in toc.findall(addnodes.only)) for toc in env.tocs.values()):
            _TITLES_ONLY_TOCS[env] = None
        else:
            _TITLES_ONLY_TOCS[env] = {page: titles_only_toc(toc) for page, toc in env.tocs.items()}
    return _TITLES_ONLY_TOCS[env]


#: The reduced tables of contents of the environment being written; made again after every
#: reading phase (``env-updated``), so never from an older state of the pages.
_TITLES_ONLY_TOCS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def forget_titles_only_tocs(app: Sphinx, env: BuildEnvironment) -> None:
    _TITLES_ONLY_TOCS.pop(env, None)
    _ROOT_NAVIGATION.pop(env, None)


def titles_only_toctree(app: Sphinx, pagename: str, templatename: str, context: dict, doctree):
    """Wrap the page's ``toctree()`` (before furo calls it) so that a ``titles_only`` call
    resolves against the reduced tables of contents. The result is the same tree: the step
    that reduces them comes before anything else looks below a page's title."""
    toctree = context.get("toctree")
    if toctree is None or not isinstance(app.builder, StandaloneHTMLBuilder):
        return
    env = app.env

    def toctree_with_titles_only(**kwargs):
        reduced = titles_only_tocs(env) if kwargs.get("titles_only") else None
        if reduced is None:
            return toctree(**kwargs)
        tocs, env.tocs = env.tocs, reduced
        try:
            if kwargs == FURO_NAVIGATION and type(app.builder) is StandaloneHTMLBuilder:
                root = root_navigation(app.builder, env)
                page = root and navigation_of(root, app.builder.get_target_uri(pagename))
                if page is not None:
                    return page
            return toctree(**kwargs)
        finally:
            env.tocs = tocs

    context["toctree"] = toctree_with_titles_only


#: furo's call of a page's ``toctree()``, for the sidebar (``furo._compute_navigation_tree``).
FURO_NAVIGATION = {"collapse": False, "titles_only": True, "maxdepth": -1, "includehidden": True}

#: The sidebar's toctree HTML of the root document, as lines, per environment (None if it cannot
#: be used for the other pages); made again after every reading phase, as the reduced tocs.
_ROOT_NAVIGATION: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: A link the sidebar's HTML can move to another page: a relative path to a page, nothing else.
PAGE_LINK = re.compile(r'href="([^"#?:/][^"#?:]*\.html)"')


def root_navigation(builder: StandaloneHTMLBuilder, env: BuildEnvironment) -> list[str] | None:
    """The lines of the root document's sidebar toctree, which Sphinx resolves as it resolves
    every page's: the same entries, the same titles, the links relative to the root. Usable for
    the other pages if the root document is at the top, is not itself an entry (nothing is
    ``current``), and every line is a :data:`NAVIGATION_LINE` whose link is a page's."""
    if env not in _ROOT_NAVIGATION:
        root = env.config.root_doc
        html = builder._get_local_toctree(root, **FURO_NAVIGATION)
        lines = html.split("\n")
        usable = "/" not in root and all(
            (match := NAVIGATION_LINE.fullmatch(line)) is not None
            and "current" not in line
            and (match["entry"] is None or PAGE_LINK.search(match["entry"]))
            for line in lines
            if line
        )
        _ROOT_NAVIGATION[env] = lines if usable else None
    return _ROOT_NAVIGATION[env]


def navigation_of(root: list[str], uri: str) -> str:
    """The sidebar toctree HTML of the page at ``uri`` (its target URI), made from the root
    document's as ``_resolve_toctree`` makes it for that page: every entry that links to it
    links to ``#`` with the class ``current``, and its list item and every list and list item
    around it get ``current`` (once: the HTML writer drops a repeated class); every link is
    relative to the page (``relative_uri``)."""
    lines = list(root)
    items = [False] * len(lines)  # whether each line's list item is current
    lists = [False] * len(lines)  # and the list the line opens
    opened: list[tuple[list[bool], int]] = []  # the list items and lists around the line
    for number, line in enumerate(lines):
        if line == "<ul>":
            opened.append((lists, number))
        elif line in ("</ul>", "</li>"):
            opened.pop()
        elif line.startswith("<li "):
            if PAGE_LINK.search(line)[1] == uri:
                items[number] = True
                for marks, around in opened:
                    marks[around] = True
            if line.endswith("<ul>"):  # the entry's list item stays open, and its sublist
                opened += [(items, number), (lists, number)]
    for number, line in enumerate(lines):
        if line.startswith("<li "):
            link = PAGE_LINK.search(line)[1]
            line = line.replace('">', ' current">' if items[number] else '">', 1)
            if link == uri:
                line = line.replace('<a class="', '<a class="current ', 1)
            line = line.replace(f'href="{link}"', f'href="{relative_uri(uri, link) or "#"}"', 1)
        if lists[number]:
            line = line[: -len("<ul>")] + '<ul class="current">'
        lines[number] = line
    return "\n".join(lines)


relies_on(toctree_adapter._entries_from_toctree, "ca7b4c4bf718605e")
relies_on(toctree_adapter._toctree_add_classes, "c3a78f355d535a26")
relies_on(relative_uri, "9a45d60877e664a9")
relies_on(sphinx.builders.Builder.get_relative_uri, "9b7d7bc64c7d8c9a")
relies_on(StandaloneHTMLBuilder.get_target_uri, "d330ab5805d084cc")
relies_on(HTML5Translator.visit_reference, "f92f00f64e979dd1")
relies_on(HTMLTranslator.starttag, "bdbcc4d272404e98")  # a repeated class is written once
relies_on(toctree_adapter._toctree_entry, "b7ca689263201ba8")
relies_on(toctree_adapter._toctree_standard_entry, "44d2c3941aba0f93")
relies_on(toctree_adapter._toctree_copy_seq, "5c4a4284823cfe91")
relies_on(toctree_adapter._resolve_toctree, "21803b0f88d6b10d")
relies_on(toctree_adapter.global_toctree_for_doc, "497dee3e3e1ec1a0")
relies_on(StandaloneHTMLBuilder._get_local_toctree, "db8dc7d0e09d7d9f")


# --- writing: furo's navigation tree without parsing it -------------------------------------

_furo_navigation_tree = furo.navigation.get_navigation_tree

#: The lines of the sidebar's titles-only toctree, as Sphinx writes them for this site:
#: captions, lists and entries with a link, each entry ending its line or opening a sublist.
#: No ``&`` (an entity BeautifulSoup would write back otherwise), ``<``, ``>`` or ``"`` in text
#: or links, and attributes in alphabetical order, as BeautifulSoup writes them.
NAVIGATION_LINE = re.compile(
    r'(?:<p aria-level="\d+" class="caption" role="heading"><span class="caption-text">'
    r'[^&<>"]*</span></p>'
    r'|<ul(?: class="current")?>|</ul>|</li>|'
    r'(?P<entry><li class="(?P<classes>toctree-l\d+(?: current)?)">'
    r'<a class="(?:current )?reference internal" href="[^&<>"]*">(?P<title>[^&<>"]*)</a>)'
    r'(?:</li>|(?P<sublist><ul(?: class="current")?>)))'
)


def navigation_tree(toctree_html: str) -> str:
    """``furo.navigation.get_navigation_tree``: the toctree's HTML with a checkbox and a label
    after the link of every entry that has a sublist (``has-children``, checked when the entry
    is ``current``), and ``current-page`` on the last ``current`` entry. furo parses the HTML
    with BeautifulSoup and writes it back; for HTML made only of :data:`NAVIGATION_LINE`
    lines, which BeautifulSoup writes back as they are, the same changes are made line by
    line. Any other HTML goes to furo's function."""
    lines = toctree_html.split("\n")
    if not toctree_html or lines[-1] or not all(NAVIGATION_LINE.fullmatch(x) for x in lines[:-1]):
        return _furo_navigation_tree(toctree_html)
    entries = []  # [line number, classes, the rest of the line after the entry's classes]
    checkboxes = 0
    for number, line in enumerate(lines):
        match = NAVIGATION_LINE.fullmatch(line)
        if match is None or match["entry"] is None:
            continue
        classes = match["classes"]
        current = classes.endswith(" current")
        rest = match["entry"][len(f'<li class="{classes}">') :]
        if match["sublist"]:
            classes += " has-children"
            checkboxes += 1
            name = f"toctree-checkbox-{checkboxes}"
            rest += (
                f'<input aria-label="Toggle navigation of {match["title"]}"'
                + (' checked=""' if current else "")
                + f' class="toctree-checkbox" id="{name}" name="{name}" role="switch"'
                ' type="checkbox"/>'
                f'<label for="{name}"><span class="icon"><svg><use href="#svg-arrow-right">'
                "</use></svg></span></label>" + match["sublist"]
            )
        else:
            rest += "</li>"
        entries.append([number, classes, rest, current])
    currents = [entry for entry in entries if entry[3]]
    if currents:
        currents[-1][1] += " current-page"
    for number, classes, rest, _ in entries:
        lines[number] = f'<li class="{classes}">{rest}'
    return "\n".join(lines)


relies_on(furo.navigation.get_navigation_tree.__wrapped__, "b919cdb0d72d7e9c")
relies_on(furo.navigation._get_navigation_expand_image, "5a3b98a55d735395")
relies_on(furo._compute_navigation_tree, "6ef7cfed13d75f5c")


# --- writing: templates compiled once ------------------------------------------------------


def keep_compiled_templates(app: Sphinx) -> None:
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if not isinstance(environment, jinja2.Environment) or environment.bytecode_cache:
        return
    set_up = repr(
        (
            jinja2.__version__,
            type(environment).__qualname__,
            sorted(environment.extensions),
            environment.autoescape,
        )
    )
    shared = app.config.build_speed_templates or Path(app.doctreedir) / "_compiled_templates"
    folder = Path(shared) / hashlib.sha256(set_up.encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


# --- writing: one Pygments formatter per set of options -------------------------------------


def keep_highlighted_code(app: Sphinx) -> None:
    bridge = getattr(app.builder, "highlighter", None)
    if not isinstance(bridge, PygmentsBridge) or bridge.dest != "html":
        return
    folder = app.config.build_speed_highlighted or Path(app.doctreedir) / "_highlighted"
    bridge.highlight_block = HighlightedCode(bridge, Path(folder))


# the result depends on nothing but the arguments, the bridge's style and the lexers
relies_on(PygmentsBridge.get_lexer, "ffa84786471bbdd0")


def reuse_code_formatters(app: Sphinx) -> None:
    for name in ("highlighter", "dark_highlighter"):
        bridge = getattr(app.builder, name, None)
        if isinstance(bridge, PygmentsBridge) and bridge.formatter is HtmlFormatter:
            bridge.formatter = ReusedFormatters(bridge.formatter)


relies_on(PygmentsBridge.__init__, "40140ffb0f7ef46f")
relies_on(PygmentsBridge.get_formatter, "b736fe0c476788c4")
relies_on(PygmentsBridge.highlight_block, "8b2c950cd94c1c80")
relies_on(HtmlFormatter.format_unencoded, "8bc6f083bde3044a")
relies_on(HtmlFormatter._format_lines, "098293dca1274de6")


# --- writing: the second language writes its pages last first; an idle core takes pages ------


def feed_order_restored(entries: dict, before: list[str], docnames: list[str]) -> None:
    """Put ``entries`` (the search index's entries, page by page, in the order the pages were
    fed) back in the order Sphinx feeds them: the pages it knew before writing where they
    were, then the written pages in ``docnames``' (sorted) order."""
    known = set(before)
    order = [*before, *(name for name in docnames if name in entries and name not in known)]
    restored = {name: entries[name] for name in order}
    entries.clear()
    entries.update(restored)


class OtherBuilds:
    """Whether the builds running beside this one have all ended. ``fd`` is the read end of a
    pipe whose write end only they (and the processes they forked) hold open, and into which
    nobody writes: once it reads as ready, it is at its end (tests/sitebuild.py)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.ended = False

    def done(self) -> bool:
        if not self.ended:
            self.ended = bool(select.select([self.fd], [], [], 0)[0])
        return self.ended


#: Pages still to write, at least, for a build to hand some of them over to a process of its
#: own: forking the build costs about as much as writing one page.
HAND_OVER_FROM = 4

#: The share of a page's writing that the build itself still does for a page it hands over
#: (resolving it, the search index, the images), once its code blocks are highlighted:
#: measured on this site, about two fifths.
KEPT_SHARE = 0.4


def handed_pages(left: list[str], weights: dict[str, float]) -> list[str]:
    """The pages at the end of ``left`` (the pages still to write, in order) to hand over, so
    that the build and the forked process end together: the process gets pages until their
    weight (``weights``: about how long each takes to write) reaches ``1 / (2 - KEPT_SHARE)``
    of the whole, as the build also does ``KEPT_SHARE`` of the work for them. Never the first
    page, which the build is about to write."""
    target = sum(weights[name] for name in left) / (2 - KEPT_SHARE)
    handed: list[str] = []
    for name in reversed(left[1:]):
        if sum(weights[page] for page in handed) + weights[name] / 2 > target:
            break
        handed.append(name)
    return handed[::-1]


def writing_weights(builder: StandaloneHTMLBuilder, docnames) -> dict[str, float]:
    """About how long each page takes to write: the size of its doctree's file."""
    weights = {}
    for docname in docnames:
        try:
            weights[docname] = float(
                os.stat(Path(builder.doctreedir, f"{docname}.doctree")).st_size
            )
        except OSError:
            weights[docname] = 1.0
    return weights


def hand_over(builder: StandaloneHTMLBuilder, docnames: list[str]) -> ParallelTasks:
    """Write ``docnames`` in a forked process, started first. Both processes resolve each page
    and do the writing that changes the builder (the images to copy, the search index), as
    Sphinx does for every page it writes: this process for the builder that goes on, the forked
    one for the pages it turns into HTML files. What the forked process logs while resolving
    (this process logs it too) is dropped; what it logs while writing is handled here when it
    is joined, and an exception in it fails the build, as in Sphinx's parallel writing."""

    def write(pages: list[str]) -> None:
        for docname in pages:
            with sphinx_logging.suppress_logging():
                doctree = resolved(builder, docname)
            builder.write_doc(docname, doctree)

    logger.verbose(
        "the other builds have ended: %d pages written by a forked process", len(docnames)
    )
    helper = ParallelTasks(1)
    helper.add_task(write, docnames)
    for docname in docnames:
        resolved(builder, docname)
    return helper


def resolved(builder: StandaloneHTMLBuilder, docname: str) -> nodes.document:
    """Sphinx's ``_write_docname`` up to the writing of the page itself."""
    builder.phase = BuildPhase.RESOLVING
    doctree = builder.env.get_and_resolve_doctree(docname, builder=builder, tags=builder.tags)
    builder.phase = BuildPhase.WRITING
    builder.write_doc_serialized(docname, doctree)
    return doctree


def write_pages(app: Sphinx) -> None:
    """The HTML builder's serial writing, in another order and with another process's help.

    With ``build_speed_write_last_first`` (tests/sitebuild.py sets it for every language but
    the first), the pages are written in the reverse of Sphinx's (sorted) order. The languages'
    builds highlight the same code blocks and keep them for each other
    (:class:`~highlighted_blocks.HighlightedCode`); the English build reads less and starts
    writing first. In the
    same order, the Russian build would catch up with it and both would highlight the same
    blocks at the same time; from the other end they meet in the middle, and each highlights
    about what the other does not.

    With ``build_speed_others_fd`` (:class:`OtherBuilds`), a build that is still writing when
    the builds beside it have ended (their cores now idle: the Russian build reads the
    translations, and ends last) hands the later half of its pages over to a forked process
    (:func:`hand_over`), once, if all the extensions declare that they allow parallel writing.

    Writing a page depends on no other page's writing, except for the order of the search
    index's entries of a term found in several pages: that is Sphinx's feeding order, and
    :func:`feed_order_restored` puts it back."""
    builder = app.builder
    fd = app.config.build_speed_others_fd
    others = OtherBuilds(int(fd)) if fd is not None and parallel_available else None
    last_first = app.config.build_speed_write_last_first
    if not isinstance(builder, StandaloneHTMLBuilder) or not (last_first or others):
        return

    def _write_serial(docnames) -> None:
        # Sphinx's Builder._write_serial, with the order and the hand-over
        indexer = builder.indexer
        before = list(indexer._index_entries) if indexer is not None else []
        order = list(reversed(docnames)) if last_first else list(docnames)
        helper, handed = None, set()
        with nullcontext() if app._exception_on_warning else sphinx_logging.pending_warnings():
            pages = status_iterator(
                order, __("writing output... "), "darkgreen", len(order), app.config.verbosity
            )
            for number, docname in enumerate(pages):
                if docname in handed:
                    continue
                left = order[number:]
                if helper is None and len(left) >= HAND_OVER_FROM and others and others.done():
                    if all(e.parallel_write_safe for e in app.extensions.values()):
                        handed = set(handed_pages(left, writing_weights(builder, left)))
                        helper = hand_over(builder, [name for name in left if name in handed])
                _write_docname(docname, env=builder.env, builder=builder, tags=builder.tags)
            if helper is not None:
                helper.join()
        if indexer is not None:
            feed_order_restored(indexer._index_entries, before, list(docnames))

    builder._write_serial = _write_serial


relies_on(sphinx.builders.Builder.write_documents, "2f16759e4c10bf4b")
relies_on(sphinx.builders.Builder._write_serial, "2077b155aadba1a1")
relies_on(sphinx.builders._write_docname, "1733b3c33087f8fc")
relies_on(sphinx.builders.Builder._write_parallel, "0d1b671a6250e38e")
relies_on(ParallelTasks._process, "48d7ef7a3868857c")
relies_on(ParallelTasks._join_one, "04f6b405c3600548")
relies_on(sphinx_logging.suppress_logging.__wrapped__, "7c1eefb905e37708")
relies_on(StandaloneHTMLBuilder.write_doc, "7143a2ecfd16b874")
relies_on(StandaloneHTMLBuilder.write_doc_serialized, "2ce6976d97dbb068")
relies_on(StandaloneHTMLBuilder.index_page, "250f5c593b9c510f")
relies_on(IndexBuilder.feed, "11b7f90635961f57")
relies_on(IndexBuilder.freeze, "6529d7ff71f6234b")
relies_on(IndexBuilder.get_terms, "7569c8fea1e5f2e6")


def setup(app: Sphinx) -> dict:
    check_internals()
    app.add_source_parser(ReusingRSTParser, override=True)
    nodes.Node._fast_findall = iterative_fast_findall
    nodes.Node._superfast_findall = iterative_superfast_findall
    NodeMatcher.findall = node_matcher_findall
    SmartQuotes.apply = lean_smartquotes_apply
    sphinx.transforms.i18n._publish_msgstr = parsed_messages = ParsedMessages()
    app.connect("source-read", parsed_messages.forget)
    sphinx.util.nodes.repr_domxml = lazy_repr_domxml
    # before furo's handler (priority 500), which computes the navigation tree
    app.connect("html-page-context", titles_only_toctree, priority=400)
    furo.get_navigation_tree = navigation_tree
    app.connect("env-updated", forget_titles_only_tocs)
    app.connect("builder-inited", reuse_code_formatters)
    app.connect("builder-inited", keep_compiled_templates)
    # after reuse_code_formatters: the kept blocks' HTML comes from the same formatters
    app.connect("builder-inited", keep_highlighted_code)
    app.add_config_value("build_speed_highlighted", None, "", types=[str, type(None)])
    app.add_config_value("build_speed_templates", None, "", types=[str, type(None)])
    app.add_config_value("build_speed_write_last_first", False, "", types=[bool])
    app.add_config_value("build_speed_others_fd", None, "", types=[int, str, type(None)])
    app.connect("builder-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
