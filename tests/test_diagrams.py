"""What the diagrams must be: drawn from sources whose words are all translatable, faithful to
the pages they illustrate, and inlined as SVG with real, centred text.

The built sites are checked in tests/site/test_diagrams.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests import catalogs
from tests.debian import debian_tool
from tests.diagram_sources import DIAGRAMS, all_diagrams, extension, page_diagrams

STATES = ("transient", "pending", "persistent", "deleted", "detached")
SVG = "{http://www.w3.org/2000/svg}"

#: The pages the reader would rather look at than read, and what each one draws.
EXPECTED = {
    "overview": "overview.dot",
    "states/transitions": "object-states.dot",
    "pool/queuepool": "queuepool.dot",
    "session/basics": "session-lifecycle.dot",
}


def test_the_four_pages_show_their_diagrams():
    shown = {d.page: d.source.name for d in all_diagrams()}
    assert {page: shown.get(page) for page in EXPECTED} == EXPECTED


def test_every_diagram_source_is_shown_on_a_page_and_has_an_alt_text_and_a_caption():
    shown = all_diagrams()
    assert sorted({d.source.name for d in shown}) == sorted(p.name for p in DIAGRAMS.glob("*.dot"))
    assert [d for d in shown if not d.alt or not d.caption] == []


@pytest.mark.parametrize("source", sorted(DIAGRAMS.glob("*.dot")), ids=lambda p: p.name)
def test_every_diagram_source_marks_its_labels_and_sets_the_measured_fonts(source):
    text = source.read_text(encoding="utf-8")
    assert extension.messages(text, source.name), f"{source.name} has no words to translate"
    for kind in ("graph", "node", "edge"):
        assert re.search(rf'^\s*{kind} \[[^\]]*fontname="Liberation Sans"', text, re.M), (
            f"{source.name}: {kind} [fontname=...] must name a font in diagrams.FONT_STACKS"
        )


# --- the state diagram is the summary table ---------------------------------


def calls(text: str) -> set[str]:
    """The calls a table cell or a label names: ``session.add(obj)`` -> add; a flush -> flush.

    Remarks in parentheses (``flush (explicit, ..., or inside commit())``) name no call.
    """
    literals: list[str] = []

    def hold(match: re.Match) -> str:
        literals.append(match["text"])
        return f"\0{len(literals) - 1}\0"

    held = catalogs.LITERAL.sub(hold, text)
    while re.search(r"\([^()]*\)", held):
        held = re.sub(r"\s*\([^()]*\)", "", held)
    found = set()
    for number in re.findall(r"\0(\d+)\0", held):
        call = re.fullmatch(r"(?:\w+\.)*(?P<name>\w+)\(.*\)", literals[int(number)])
        if call:
            found.add(call["name"])
    if re.search(r"\bflush\b", re.sub(r"\0\d+\0", " ", held)):
        found.add("flush")
    return found


def states(text: str) -> set[str]:
    """The states a table cell names outside remarks and code."""
    plain = catalogs.LITERAL.sub(" ", text)
    while re.search(r"\([^()]*\)", plain):
        plain = re.sub(r"\([^()]*\)", " ", plain)
    return {word for word in re.findall(r"\w+", plain) if word in STATES}


def summary_table() -> list[tuple[set[str], set[str], set[str]]]:
    """(from states, calls, to states) for each row of the table on states/transitions.rst."""
    text = (catalogs.DOCS / "states" / "transitions.rst").read_text(encoding="utf-8")
    table = text.split("\nSummary table\n", 1)[1].split(".. list-table::", 1)[1]
    table = table.split("\n\n", 1)[1].split("\n\n", 1)[0]  # past the options, to the end
    rows = re.findall(r"^   \* - (.*)\n     - (.*)\n     - (.*)$", table, flags=re.MULTILINE)
    assert len(rows) == table.count("* - "), "every row has three one-line cells"
    return [(states(a), calls(b), states(c)) for a, b, c in rows[1:]]  # without the header


EDGE = re.compile(
    r"^\s*(?P<tail>\w+)(?::\w+)?\s*->\s*(?P<head>\w+)(?::\w+)?\s*\[(?P<attrs>[^\]]*)\]", re.M
)
NODE = re.compile(r"^\s*(?P<name>\w+)\s*\[(?P<attrs>[^\]]*)\]", re.M)


def label(attributes: str) -> str | None:
    marker = extension.MARKER.search(attributes)
    return extension.unescape(marker["text"], "") if marker else None


def drawn_transitions(source: str) -> list[tuple[str, set[str], str]]:
    """(from, calls, to) for each labelled arrow; a note ``<state>_stays`` loops on the state."""
    drawn = []
    for edge in EDGE.finditer(source):
        text = label(edge["attrs"])
        if text is not None:
            drawn.append((edge["tail"], calls(text), edge["head"]))
    for node in NODE.finditer(source):
        state = node["name"].removesuffix("_stays")
        if node["name"] != state:
            drawn.append((state, calls(label(node["attrs"]) or ""), state))
    return drawn


def check_drawing_against_table(source: str, rows) -> list[str]:
    problems = []
    drawn = drawn_transitions(source)
    for tail, names, head in drawn:
        for name in names or {"(no call)"}:
            if not any(tail in a and name in b and head in c for a, b, c in rows):
                problems.append(f"arrow {tail} -{name}-> {head} is not in the table")
    for a, b, c in rows:
        for tail in a:
            for name in b:
                if not any(t == tail and name in n and h in c for t, n, h in drawn):
                    problems.append(f"row {tail} -{name}-> {sorted(c)} is not drawn")
    return problems


def test_the_state_diagram_draws_every_row_of_the_summary_table_and_nothing_else():
    [diagram] = page_diagrams("states/transitions")
    source = diagram.source.read_text(encoding="utf-8")
    rows = summary_table()
    assert len(rows) >= 14
    assert {node["name"] for node in NODE.finditer(source) if node["name"] in STATES} == set(STATES)
    assert check_drawing_against_table(source, rows) == []


def test_the_table_check_notices_a_missing_and_an_invented_arrow():
    source = (DIAGRAMS / "object-states.dot").read_text(encoding="utf-8")
    rows = summary_table()
    without_commit = source.replace('deleted -> detached [label=_("``commit()``")];', "")
    assert check_drawing_against_table(without_commit, rows) == [
        "row deleted -commit-> ['detached'] is not drawn"
    ]
    invented = source.replace("}", 'transient -> persistent [label=_("``flush()``")];\n}')
    assert check_drawing_against_table(invented, rows) == [
        "arrow transient -flush-> persistent is not in the table"
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("``session.add(obj)``", {"add"}),
        ("flush (explicit, :term:`autoflush`, or inside ``commit()``)", {"flush"}),
        ("``session.expunge(obj)``, ``session.close()``", {"expunge", "close"}),
        ("``delete()``: in ``session.deleted`` until the flush", {"delete", "flush"}),
        ("flush (after ``delete()``)", {"flush"}),
    ],
)
def test_calls_are_read_from_code_and_the_word_flush_outside_remarks(cell, expected):
    assert calls(cell) == expected


# --- the source language ------------------------------------------------------


def test_a_label_that_is_not_a_message_is_rejected_with_file_and_line():
    source = 'digraph {\n  a [label=_("one")];\n  b [label="two"];\n}\n'
    with pytest.raises(extension.DiagramError, match=r"^x\.dot:3: a label must be a message"):
        extension.parse(source, "x.dot")


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ('a [tooltip=_("hover")];', r"x\.dot:1: a message may only be the value of label"),
        ('a [label=_("a :term:`b`")];', r"x\.dot:1: only ``code`` literals are allowed"),
        ('a [label=_("two\\nlines")];', r"x\.dot:1: unknown escape \\n"),
        ('a [label=_("  ")];', r"x\.dot:1: empty label"),
    ],
)
def test_a_malformed_message_is_rejected_with_file_and_line(source, error):
    with pytest.raises(extension.DiagramError, match=error):
        extension.parse(source, "x.dot")


def test_only_messages_with_words_are_offered_for_translation():
    source = (
        'a [label=_("``Engine``")]; b [label=_("the ``Engine``")]; c [label=_("the ``Engine``")];'
    )
    assert extension.messages(source, "x.dot") == ["the ``Engine``"]


def test_a_label_is_wrapped_after_translation_and_a_code_name_is_never_split():
    code = extension.render(
        'a [label=_("checkout: ``pool_size + max_overflow``")];',
        "x.dot",
        {
            "checkout: ``pool_size + max_overflow``": "выдача: ``pool_size + max_overflow`` & <b>"
        }.get,
        10,
    )
    body = re.search(r"<TD>(.*)</TD>", code)[1]
    mono = f'<FONT FACE="{extension.CODE_FONT}">'
    assert body.split("<BR/>") == [
        "выдача:",
        f"{mono}pool_size + max_overflow</FONT>",
        "&amp; &lt;b&gt;",
    ]


# --- the drawing in the page ----------------------------------------------------


def dot_or_skip() -> str:
    """Graphviz's dot; required in CI, a visible skip elsewhere."""
    return debian_tool(shutil.which("dot"), "dot", "graphviz")


def draw(source: str, translate=str) -> ET.Element:
    code = extension.render(source, "x.dot", translate, 16)
    svg = subprocess.run(
        [dot_or_skip(), "-Tsvg"], input=code, capture_output=True, text=True, check=True
    ).stdout
    return ET.fromstring(extension.inline_svg(svg, "What the drawing shows.", "diagram-1"))


FONTS = " ".join(f'{kind} [fontname="Liberation Sans"];' for kind in ("graph", "node", "edge"))


def test_the_inline_drawing_has_one_centred_text_per_line_and_an_accessible_name():
    root = draw(
        "digraph { " + FONTS + ' a [label=_("``rollback()``, then the next checkout")];'
        ' a -> b [label=_("yes")]; b [label=_("done")]; }'
    )
    assert root.get("role") == "img"
    titles = list(root.iter(f"{SVG}title"))
    assert [t.text for t in titles] == ["What the drawing shows."]
    assert root.get("aria-labelledby") == titles[0].get("id")
    assert [e for e in root.iter() if e.get("id") and e.tag != f"{SVG}title"] == []
    texts = list(root.iter(f"{SVG}text"))
    assert {t.get("text-anchor") for t in texts} == {"middle"}
    lines = ["".join(t.itertext()) for t in texts]
    assert lines[:3] == ["rollback(), then", "the next", "checkout"]
    assert "yes" in lines
    assert "done" in lines
    [code] = [span for span in root.iter(f"{SVG}tspan")]
    assert code.text == "rollback()"
    assert code.get("font-family") == extension.FONT_STACKS["Liberation Mono"]
    assert not root.get("width").endswith("pt")


def test_a_node_without_a_label_message_fails_instead_of_showing_its_name():
    with pytest.raises(extension.DiagramError, match="'b' is not a label message"):
        draw("digraph { " + FONTS + ' a [label=_("one")]; a -> b; }')


def test_text_in_a_font_that_readers_lack_is_rejected():
    with pytest.raises(extension.DiagramError, match="font 'Times,serif' is not one of"):
        draw('digraph { a [label=_("one")]; }')
