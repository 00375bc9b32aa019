"""What a reader of a built site gets from the diagrams, in each language.

Each page with a ``diagram`` directive must show each drawing as inline SVG with real text,
a caption and an accessible name; on the Russian site every word of every translated label,
text alternative and caption is Russian, and no English word that was translated is left.
Run by ``nox -s docs`` against ``_build/site`` (see tests/site/test_site.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest

from tests import catalogs
from tests.diagram_sources import Diagram, all_diagrams, extension

LANGUAGES = ("en", "ru")
DIAGRAMS = all_diagrams()
PAGES = sorted({d.page for d in DIAGRAMS})
CODE_FONT = extension.FONT_STACKS[extension.CODE_FONT]


@dataclass
class Drawing:
    """One ``<figure class="diagram">`` as a reader gets it."""

    role: str | None = None
    labelled_by: str | None = None
    title_id: str | None = None
    title: str = ""
    texts: int = 0  # <text> elements
    words: list[str] = field(default_factory=list)  # the text outside code names
    code: list[str] = field(default_factory=list)  # the text in the code font
    caption: str = ""


class Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.drawings: list[Drawing] = []
        self.depth = 0  # inside a diagram figure when > 0
        self.fonts: list[str] = []  # font-family of the open <text>/<tspan> elements
        self.in_title = self.in_caption = False
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs.get("href", "").split("?")[0])
        if tag == "figure" and "diagram" in (attrs.get("class") or "").split():
            self.drawings.append(Drawing())
            self.depth = 1
            return
        if not self.depth:
            return
        self.depth += 1
        drawing = self.drawings[-1]
        if tag == "svg" and "diagram-drawing" in (attrs.get("class") or ""):
            drawing.role, drawing.labelled_by = attrs.get("role"), attrs.get("aria-labelledby")
        elif tag == "title":
            drawing.title_id, self.in_title = attrs.get("id"), True
        elif tag in ("text", "tspan"):
            drawing.texts += tag == "text"
            self.fonts.append(attrs.get("font-family") or (self.fonts or [""])[-1])
        elif tag == "figcaption":
            self.in_caption = True

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if tag in ("text", "tspan") and self.fonts:
            self.fonts.pop()
        elif tag == "title":
            self.in_title = False
        elif tag == "figcaption":
            self.in_caption = False

    def handle_startendtag(self, tag, attrs):
        if tag == "link":  # <path .../> and the other empty elements of a drawing hold no text
            self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if not self.depth:
            return
        drawing = self.drawings[-1]
        if self.in_title:
            drawing.title += data
        elif self.in_caption:
            drawing.caption += data
        elif self.fonts:
            (drawing.code if self.fonts[-1] == CODE_FONT else drawing.words).append(data)


def read(site: Path, language: str, page: str) -> Figures:
    parser = Figures()
    parser.feed((site / language / f"{page}.html").read_text(encoding="utf-8"))
    return parser


def drawings(site: Path, language: str, page: str) -> list[Drawing]:
    return read(site, language, page).drawings


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", text))


def shown(text: str) -> str:
    """A message as the page shows it: without markup, role titles instead of roles."""
    return catalogs.plain_words(text)


def translations(page: str) -> dict[str, str]:
    po = polib.pofile(str(catalogs.catalog_dir("ru") / f"{page}.po"))
    return {e.msgid: e.msgstr for e in po if e.msgstr and not e.fuzzy}


def name(alt: str) -> str:
    """The accessible name the drawing gets from its text alternative: code shown plainly."""
    return extension.LITERAL.sub(r"\g<code>", alt)


def diagram_id(diagram: Diagram) -> str:
    return f"{diagram.page}:{diagram.source.name}"


def test_the_four_diagram_pages_are_checked():
    assert {"overview", "states/transitions", "pool/queuepool", "session/basics"} <= set(PAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_each_diagram_is_inline_svg_with_real_text_a_name_a_caption_and_theme_colours(
    site: Path, language: str, page: str
):
    expected = [d for d in DIAGRAMS if d.page == page]
    parsed = read(site, language, page)
    found = parsed.drawings
    assert any(href.endswith("_static/diagrams.css") for href in parsed.stylesheets), (
        f"{language}/{page}.html does not load the diagrams' colours (diagrams.css)"
    )
    assert len(found) == len(expected), f"{language}/{page}.html: {len(found)} drawings"
    for diagram, drawing in zip(expected, found, strict=True):
        where = f"{language}/{page}.html, {diagram.source.name}"
        assert drawing.role == "img", f"{where}: the <svg> is not an image with a name"
        assert drawing.texts >= len(diagram.messages), f"{where}: {drawing.texts} <text> elements"
        assert words(" ".join(drawing.words)), f"{where}: no words in the drawing"
        assert drawing.labelled_by, f"{where}: the <svg> has no aria-labelledby"
        assert drawing.labelled_by == drawing.title_id, f"{where}: its name is not its <title>"
        assert drawing.title.strip(), f"{where}: no accessible name"
        assert drawing.caption.strip(), f"{where}: no caption"


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=diagram_id)
def test_english_drawings_show_every_word_of_their_labels(site: Path, diagram: Diagram):
    index = [d for d in DIAGRAMS if d.page == diagram.page].index(diagram)
    drawing = drawings(site, "en", diagram.page)[index]
    drawn = words(" ".join(drawing.words))
    missing = {m: words(shown(m)) - drawn for m in diagram.messages}
    assert {m: w for m, w in missing.items() if w} == {}
    assert drawing.title == name(diagram.alt)
    assert words(shown(diagram.caption)) <= words(drawing.caption)


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=diagram_id)
def test_russian_drawings_show_the_russian_labels_and_none_of_the_english_words(
    site: Path, diagram: Diagram
):
    index = [d for d in DIAGRAMS if d.page == diagram.page].index(diagram)
    drawing = drawings(site, "ru", diagram.page)[index]
    russian = translations(diagram.page)
    drawn = words(" ".join(drawing.words))
    problems = []
    for message in diagram.messages:
        if message not in russian:
            problems.append(f"{message!r} has no Russian translation")
            continue
        if not re.search(r"[а-яё]", shown(russian[message]), flags=re.IGNORECASE):
            problems.append(f"{message!r} is not translated into Russian: {russian[message]!r}")
        missing = words(shown(russian[message])) - drawn
        if missing:
            problems.append(f"{message!r}: the drawing lacks {sorted(missing)}")
        left = (words(shown(message)) - words(shown(russian[message]))) & drawn
        if left:
            problems.append(f"{message!r}: English words left in the drawing: {sorted(left)}")
    if drawing.title != name(russian.get(diagram.alt, "")):
        problems.append(f"the accessible name is not the Russian text: {drawing.title[:60]!r}")
    caption = russian.get(diagram.caption, "")
    left = (words(shown(diagram.caption)) - words(shown(caption))) & words(drawing.caption)
    if not caption or left or not words(shown(caption)) <= words(drawing.caption):
        problems.append(f"the caption is not the Russian text: {drawing.caption[:60]!r}")
    assert problems == [], f"ru/{diagram.page}.html, {diagram.source.name}:\n" + "\n".join(problems)
