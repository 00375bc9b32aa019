"""``.. diagram::``: a Graphviz drawing whose words are translated like the page around it.

Usage on a page::

    .. diagram:: /_diagrams/object-states.dot
       :alt: What a screen reader says instead of showing the drawing.

       The caption, one paragraph of ordinary reStructuredText.

The ``.dot`` file is Graphviz's DOT language with one addition: every label is a
*message*, written ``label=_("``add()`` of a detached object")``. The same goes for
``xlabel``, ``headlabel`` and ``taillabel``; a label that is not a message is an error,
so no English word can reach a translated drawing unnoticed.

- A message may contain inline literals (````Engine````, ````flush()````): code names.
  They are drawn in a monospaced font and must stay unchanged in a translation (the
  catalog specs check that). No other markup is allowed. Inside ``_("...")`` write
  ``\\"`` for a double quote and ``\\\\`` for a backslash.
- Line breaks are not written: each label is wrapped after translation, at the
  ``:wrap:`` option's width in characters (default 16) or at the width a label asks
  for, ``_("...", 24)``; a longer translation simply gets more lines.
- Every message that contains words, plus the ``:alt:`` text, goes into the page's own
  catalog (``nox -s translate`` extracts it); a message made only of code names is not
  extracted. The caption is translated like any paragraph. The ``:alt:`` text may
  mark code names as literals too; they are kept in translation and shown plainly.

The drawing is made by ``sphinx.ext.graphviz`` (``render_dot``, honouring
``graphviz_dot`` and ``graphviz_dot_args``) and must be SVG
(``graphviz_output_format = "svg"``). It is inlined into the HTML, so its text is real
text in the page's language and ``diagrams.css`` can colour it for light and dark themes;
Graphviz's tooltips (``<title>`` of each node and edge, which would show the English node
names) are removed, and the ``:alt:`` text becomes the drawing's accessible name.
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.ext.graphviz import (
    GraphvizError,
    latex_visit_graphviz,
    man_visit_graphviz,
    render_dot,
    texinfo_visit_graphviz,
    text_visit_graphviz,
)
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: The fonts a drawing may use, each with the fonts readers have that share its metrics.
#: Graphviz measures the text with the Liberation fonts (Debian: fonts-liberation2), and
#: Arial/Helvetica and Courier New/Courier have the same character widths, so the text
#: fits its boxes on every system.
FONT_STACKS = {
    "Liberation Sans": "'Liberation Sans', Arial, Helvetica, sans-serif",
    "Liberation Mono": "'Liberation Mono', 'Courier New', Courier, monospace",
}
CODE_FONT = "Liberation Mono"
DEFAULT_WRAP = 16
PADDING = 3  # points between a label and the lines around it
#: The background of every label's box: invisible, and how inline_svg finds a label's box.
LABEL_BOX = "#fdfdfe"

#: ``label=_("...")``: a label attribute whose value is a message.
LABEL_ATTRIBUTE = re.compile(r"\b(?:x|head|tail)?label\s*=\s*")
MARKER = re.compile(r'_\(\s*"(?P<text>(?:[^"\\\n]|\\.)*)"\s*(?:,\s*(?P<wrap>\d+)\s*)?\)')
LITERAL = re.compile(r"``(?P<code>[^`]+?)``")
OPEN, CLOSE, FILL = "\ue000", "\ue001", "\ue002"  # private-use characters hold a literal


class DiagramError(ValueError):
    """A diagram source or a translation of one of its messages is malformed."""


# --- the source: DOT with messages ------------------------------------------


@dataclass(frozen=True)
class Label:
    text: str  # the message, as written in the source
    wrap: int | None  # ``_("...", 30)``: this label's width in characters
    start: int  # where ``_(`` begins in the source
    end: int  # where the closing ``)`` ends
    line: int


def line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def check_markup(text: str, where: str) -> None:
    """A message may hold words and ````code````, nothing else that looks like markup."""
    if "\n" in text:
        raise DiagramError(f"{where}: a label is one line; it is wrapped automatically")
    rest = LITERAL.sub("", text)
    if "`" in rest:
        raise DiagramError(f"{where}: only ``code`` literals are allowed in a label, got {text!r}")
    if not text.strip():
        raise DiagramError(f"{where}: empty label")


def parse(source: str, path: str) -> list[Label]:
    """The labels of a DOT source, in order; an unmarked or malformed label is an error."""
    labels = []
    for attribute in LABEL_ATTRIBUTE.finditer(source):
        where = f"{path}:{line_of(source, attribute.start())}"
        marker = MARKER.match(source, attribute.end())
        if marker is None:
            found = source[attribute.end() :].split("\n", 1)[0][:40]
            raise DiagramError(
                f'{where}: a label must be a message, label=_("..."); found {found!r}'
            )
        text = unescape(marker.group("text"), where)
        check_markup(text, where)
        wrap = int(marker.group("wrap")) if marker.group("wrap") else None
        line = line_of(source, marker.start())
        labels.append(Label(text, wrap, marker.start(), marker.end(), line))
    marked = {label.start for label in labels}
    for marker in MARKER.finditer(source):
        if marker.start() not in marked:
            raise DiagramError(
                f"{path}:{line_of(source, marker.start())}: a message may only be the value "
                "of label, xlabel, headlabel or taillabel"
            )
    return labels


def unescape(text: str, where: str) -> str:
    def replace(match: re.Match) -> str:
        if match.group(1) not in '"\\':
            raise DiagramError(
                f'{where}: unknown escape \\{match.group(1)} (only \\" and \\\\ are allowed; '
                "labels are wrapped automatically)"
            )
        return match.group(1)

    return re.sub(r"\\(.)", replace, text)


def has_words(message: str) -> bool:
    """True unless the message is made of code names and punctuation only."""
    return re.search(r"[^\W\d_]", LITERAL.sub(" ", message)) is not None


def messages(source: str, path: str) -> list[str]:
    """The messages of a DOT source that a translator translates, each once, in order."""
    return list(dict.fromkeys(label.text for label in parse(source, path) if has_words(label.text)))


def html_label(text: str, width: int, where: str) -> str:
    """A message as a Graphviz HTML-like label: wrapped lines, code in a monospaced font."""
    check_markup(text, where)
    codes: list[str] = []

    def hold(match: re.Match) -> str:
        codes.append(match.group("code"))
        return f"{OPEN}{len(codes) - 1}{CLOSE}".ljust(len(match.group("code")), FILL)

    # a literal is one unbreakable word as wide as its text
    held = LITERAL.sub(hold, text)
    lines = textwrap.wrap(held, width=width, break_long_words=False, break_on_hyphens=False)

    def show(line: str) -> str:
        parts = re.split(f"{OPEN}(\\d+){CLOSE}{FILL}*", line)
        out = []
        for number, part in enumerate(parts):
            if number % 2:
                out.append(f'<FONT FACE="{CODE_FONT}">{escape(codes[int(part)])}</FONT>')
            elif part:
                out.append(escape(part, quote=False))
        return "".join(out)

    body = "<BR/>".join(show(line) for line in lines)
    table = f'BORDER="0" CELLPADDING="{PADDING}" BGCOLOR="{LABEL_BOX}"'
    return f"<<TABLE {table}><TR><TD>{body}</TD></TR></TABLE>>"


def render(source: str, path: str, translate, width: int) -> str:
    """The DOT code Graphviz draws: each message translated, wrapped and turned into a label."""
    out, position = [], 0
    for label in parse(source, path):
        translated = translate(label.text) if has_words(label.text) else label.text
        where = f"{path}:{label.line} (translation of {label.text!r})"
        label_width = label.wrap or width
        out += [source[position : label.start], html_label(translated, label_width, where)]
        position = label.end
    out.append(source[position:])
    return "".join(out)


# --- doctree ----------------------------------------------------------------


class diagram(nodes.General, nodes.Element):
    """A drawing: ``template`` (DOT with messages), later ``code`` (DOT to draw) and ``alt``."""


class diagram_message(nodes.Element, addnodes.translatable):
    """One message of a diagram, translated by Sphinx's Locale transform like a paragraph."""

    def preserve_original_messages(self) -> None:
        self.setdefault("translation", self["original"])

    def apply_translated_message(self, original_message: str, translated_message: str) -> None:
        if original_message == self["original"]:
            self["translation"] = translated_message

    def extract_original_messages(self) -> list[str]:
        return [self["original"]]


class Diagram(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = {"alt": directives.unchanged_required, "wrap": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(relative)
        relative = f"{Path(self.env.srcdir).name}/{relative}"  # docs/_diagrams/...: as errors say
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise self.error(f"diagram source {relative}: {error.strerror}") from error
        try:
            found = messages(source, relative)
        except DiagramError as error:
            raise self.error(str(error)) from error
        if not self.options.get("alt", "").strip():
            raise self.error(
                f"diagram {relative}: the :alt: option (the text alternative) is required"
            )
        if not self.content:
            raise self.error(
                f"diagram {relative}: the caption (the directive's content) is required"
            )

        node = diagram(
            template=source,
            source_file=relative,
            alt=" ".join(self.options["alt"].split()),
            wrap=self.options.get("wrap", DEFAULT_WRAP),
        )
        self.set_source_info(node)
        for message in dict.fromkeys([node["alt"], *found]):
            child = diagram_message(original=message)
            self.set_source_info(child)
            node += child

        parsed = nodes.Element()
        self.state.nested_parse(self.content, self.content_offset, parsed)
        if len(parsed) != 1 or not isinstance(parsed[0], nodes.paragraph):
            raise self.error(f"diagram {relative}: the caption must be one paragraph")
        paragraph = parsed[0]
        caption = nodes.caption(paragraph.rawsource, "", *paragraph.children)
        caption.source, caption.line = paragraph.source, paragraph.line

        figure = nodes.figure("", node, caption, classes=["diagram"])
        self.set_source_info(figure)
        return [figure]


def resolve_translations(app: Sphinx, doctree: nodes.document) -> None:
    """After the Locale transform: build the DOT code and alt text in the page's language."""
    for node in doctree.findall(diagram):
        translations = {
            child["original"]: child.get("translation", child["original"])
            for child in node.findall(diagram_message)
        }
        try:
            node["code"] = render(
                node["template"], node["source_file"], translations.__getitem__, node["wrap"]
            )
        except DiagramError as error:
            logger.warning(str(error), location=node)
            node["code"] = render(node["template"], node["source_file"], str, node["wrap"])
        node["alt"] = LITERAL.sub(r"\g<code>", translations[node["alt"]])
        node["options"] = {"docname": app.env.docname}


def number_diagrams(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Number the drawings of the page being written, in order: ``diagram-<number>-name`` is
    the id of a drawing's accessible name. (At doctree-resolved, not doctree-read: doctrees
    pickled before this numbering existed still get numbers.)"""
    for number, node in enumerate(doctree.findall(diagram), start=1):
        node["number"] = number


# --- HTML: the SVG inline ---------------------------------------------------

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def svg_tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def font_stack(element: ET.Element) -> str:
    family = element.get("font-family", "")
    if family not in FONT_STACKS:
        raise DiagramError(
            f"font {family!r} is not one of {sorted(FONT_STACKS)}: give the graph, its nodes "
            "and its edges a fontname"
        )
    return FONT_STACKS[family]


def box_centre(polygon: ET.Element) -> float:
    xs = [float(point.split(",")[0]) for point in polygon.get("points", "").split()]
    return (min(xs) + max(xs)) / 2


def centred_line(runs: list[ET.Element], centre: float) -> ET.Element:
    """One line of a label as one ``<text>`` centred by the browser, a ``<tspan>`` per font.

    Graphviz places each run of a line at an x it measured with hinted font metrics; a
    browser's text is a little narrower, which would leave gaps between runs and shift
    lines off centre. One text element per line, anchored in the middle, has neither.
    """
    code = FONT_STACKS[CODE_FONT]
    first = next((run for run in runs if font_stack(run) != code), runs[0])  # the words' font
    line = ET.Element(svg_tag("text"), dict(first.attrib))
    line.set("text-anchor", "middle")
    line.set("x", f"{centre:g}")
    line.set("font-family", font_stack(first))
    line.text, last = "", None
    for run in runs:
        if font_stack(run) == line.get("font-family") and run.get("font-size") == first.get(
            "font-size"
        ):
            if last is None:
                line.text += run.text or ""
            else:
                last.tail = (last.tail or "") + (run.text or "")
        else:
            last = ET.SubElement(line, svg_tag("tspan"), {"font-family": font_stack(run)})
            if run.get("font-size") != first.get("font-size"):
                last.set("font-size", run.get("font-size", ""))
            last.text = run.text
    return line


def centre_labels(group: ET.Element) -> None:
    """Replace each label's runs (the texts after its marker box) with centred lines."""
    children, kept = list(group), []
    centre, runs = None, []

    def flush() -> None:
        lines: dict[str, list[ET.Element]] = {}
        for run in runs:
            lines.setdefault(run.get("y", ""), []).append(run)
        kept.extend(centred_line(line, centre) for line in lines.values())
        runs.clear()

    for child in children:
        if child.tag == svg_tag("polygon") and child.get("fill") == LABEL_BOX:
            flush()
            centre = box_centre(child)
        elif child.tag == svg_tag("text"):
            if centre is None:
                raise DiagramError(
                    f'text {child.text!r} is not a label message: give every node a label=_("...")'
                )
            runs.append(child)
        else:
            flush()
            centre = None
            kept.append(child)
    flush()
    for child in children:
        group.remove(child)
    group.extend(kept)


def inline_svg(svg: str, title: str, ident: str) -> str:
    """Graphviz's SVG made fit for a page: no tooltips or ids, centred lines, an accessible name."""
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == svg_tag("title"):
                parent.remove(child)
    for element in root.iter():
        element.attrib.pop("id", None)
    for group in list(root.iter(svg_tag("g"))):
        centre_labels(group)
    for size in ("width", "height"):
        # Graphviz measures in points; one point becomes one CSS pixel, so a ``fontsize``
        # of 14 in a .dot file is text of 14px on the page, next to the page's own 16px text
        root.set(size, root.get(size, "").removesuffix("pt"))
    root.set("role", "img")
    root.set("aria-labelledby", ident)
    root.set("class", "diagram-drawing")
    name = ET.Element(svg_tag("title"), id=ident)
    name.text = title
    root.insert(0, name)
    return ET.tostring(root, encoding="unicode")


def html_visit_diagram(self, node: diagram) -> None:
    config = self.builder.config
    if config.graphviz_output_format != "svg":
        logger.warning(
            "diagrams are inlined as SVG: set graphviz_output_format = 'svg' in conf.py",
            location=node,
        )
        raise nodes.SkipNode
    try:
        _relative, output = render_dot(self, node["code"], node["options"], "svg", "diagram")
    except GraphvizError as error:
        logger.warning(f"{node['source_file']}: {error}", location=node)
        raise nodes.SkipNode from error
    if output is None:  # dot could not be run; render_dot has said so
        self.body.append(f'<p class="diagram-missing">{escape(node["alt"])}</p>')
        raise nodes.SkipNode
    svg = output.read_text(encoding="utf-8")
    # the drawing goes into the page; the file Graphviz wrote would be an unused copy
    output.unlink()
    if not any(output.parent.iterdir()):
        output.parent.rmdir()
    try:
        self.body.append(inline_svg(svg, node["alt"], f"diagram-{node['number']}-name"))
    except DiagramError as error:
        logger.warning(f"{node['source_file']}: {error}", location=node)
    raise nodes.SkipNode


def add_stylesheet(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Only pages that show a diagram load its colours."""
    if doctree is not None and any(doctree.findall(diagram)):
        app.add_css_file("diagrams.css")


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.graphviz")
    app.add_node(
        diagram,
        html=(html_visit_diagram, None),
        latex=(latex_visit_graphviz, None),
        texinfo=(texinfo_visit_graphviz, None),
        text=(text_visit_graphviz, None),
        man=(man_visit_graphviz, None),
    )
    app.add_node(diagram_message)
    app.add_directive("diagram", Diagram)
    app.connect("doctree-read", resolve_translations)
    app.connect("doctree-resolved", number_diagrams)
    app.connect("html-page-context", add_stylesheet)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
