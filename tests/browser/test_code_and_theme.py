"""What readers do with the examples and the page's colours: copy code, switch light and dark."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import harness
from tests.browser.tab import Tab
from tests.serving import LANGUAGES

NOTHING_COPIED = "<the copy button copied nothing>"
#: Read the clipboard and leave a marker in it, so that a click that copies nothing is noticed.
TAKE_CLIPBOARD = """async marker => {
    const text = await navigator.clipboard.readText();
    await navigator.clipboard.writeText(marker);
    return text;
}"""


#: A directive that shows its whole content as one code block, examples and all.
CODE_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. (?:code-block|code|sourcecode)::.*$", re.M)
#: The rendered blocks that hold ``>>>`` examples: doctest blocks and ``code-block:: pycon``.
RENDERED_EXAMPLE_BLOCKS = "div.doctest, div.highlight-pycon"


def code_directive_spans(text: str) -> list[tuple[int, int]]:
    """Where each code directive's content starts and ends in the page's source."""
    spans = []
    for match in CODE_DIRECTIVE.finditer(text):
        indent = len(match["indent"].expandtabs())
        end = match.end()
        for line in re.finditer(r"^.*$", text[match.end() + 1 :], re.M):
            body = line.group()
            if body.strip() and len(body) - len(body.lstrip()) <= indent:
                break
            end = match.end() + 1 + line.end()
        spans.append((match.end(), end))
    return spans


def example_blocks(source: Path) -> list[str]:
    """The code of each block of ``>>>`` examples on a page, from the page's source.

    Docutils ends a doctest block at a blank line (an example, its source and its output, holds
    none), while a ``code-block`` directive shows its whole content as one block. The copy button
    must copy the block's source lines without prompts and output. It also leaves out blank
    continuation lines (a bare ``...``): pasted into a Python prompt, a blank line would end the
    statement.
    """
    text = source.read_text(encoding="utf-8")
    spans = code_directive_spans(text)
    blocks: list[list[str]] = []
    previous = None  # (start of the previous example, the code directive it is in)
    for example in harness.parsed_examples(source):
        start = example.region.start
        directive = next((span for span in spans if span[0] <= start < span[1]), None)
        new_block = (
            previous is None
            or directive != previous[1]
            or (directive is None and re.search(r"\n[ \t]*\n", text[previous[0] : start]))
        )
        if new_block:
            blocks.append([])
        blocks[-1].extend(line for line in example.parsed.source.splitlines() if line.strip())
        previous = (start, directive)
    return ["\n".join(lines) for lines in blocks]


def page_source(page: str) -> Path:
    document = page.split("/", 1)[1].removesuffix(".html")
    return harness.DOCS / f"{document}.rst"


def test_the_copy_button_of_every_example_copies_its_code_without_prompts_or_output(
    tab: Tab, page: str
):
    source = page_source(page)
    expected = example_blocks(source) if source.is_file() else []
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=tab.url(""))
    tab.open(page)
    blocks = tab.page.locator(RENDERED_EXAMPLE_BLOCKS)
    assert blocks.count() == len(expected), (
        f"{page} shows {blocks.count()} example blocks, {source.name} has {len(expected)}"
    )
    tab.page.evaluate(TAKE_CLIPBOARD, NOTHING_COPIED)
    for number, code in enumerate(expected):
        block = blocks.nth(number)
        if not block.is_visible():  # in the collapsed box of the other release line: open it
            block.locator("xpath=ancestor::details[1]/summary").click()
        block.locator("button.copybtn").click()  # the mouse moves over the block
        copied = tab.page.evaluate(TAKE_CLIPBOARD, NOTHING_COPIED)
        prompts = [line for line in copied.splitlines() if line.startswith((">>>", "..."))]
        assert not prompts, f"{page}, block {number + 1}: the copy keeps prompts {prompts}"
        assert copied == code, (
            f"{page}, block {number + 1}: copied {copied!r}, the source's code is {code!r}"
        )


#: A page with a pair of release-line boxes (session/basics.rst shows several).
PAGE_WITH_RELEASE_LINES = "session/basics.html"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_2_1_box_is_open_and_the_2_0_box_opens_from_the_keyboard(tab: Tab, language: str):
    tab.open(f"{language}/{PAGE_WITH_RELEASE_LINES}")
    current = tab.page.locator(".sqlalchemy-line.line-2-1").first
    other = tab.page.locator("details.sqlalchemy-line.line-2-0").first
    example = other.locator(RENDERED_EXAMPLE_BLOCKS).first
    assert current.locator(RENDERED_EXAMPLE_BLOCKS).first.is_visible()
    assert current.bounding_box()["y"] < other.bounding_box()["y"], "the 2.0 box comes first"
    assert not example.is_visible(), "the 2.0 box is open before the reader asks for it"
    other.locator("summary").focus()
    tab.page.keyboard.press("Enter")
    expect(example, "Enter on the 2.0 box's title does not open it").to_be_visible()


def luminance(css_colour: str) -> float:
    red, green, blue = (int(c) / 255 for c in re.findall(r"\d+(?:\.\d+)?", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


COLOURS = """() => {
    const code = document.querySelector(".highlight");
    return {
        background: getComputedStyle(document.body).backgroundColor,
        text: getComputedStyle(document.body).color,
        code: getComputedStyle(code).backgroundColor,
    };
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_theme_toggle_switches_light_and_dark_colours_and_remembers_the_choice(
    tab: Tab, language: str
):
    tab.open(f"{language}/core/engine.html")  # a page with code, to see its colours change too
    body = tab.page.locator("body")
    toggle = tab.page.locator("button.theme-toggle:visible")
    assert toggle.count() == 1, "the page shows no theme toggle"
    assert body.get_attribute("data-theme") == "auto"  # follows the reader's system (light here)
    auto = tab.page.evaluate(COLOURS)

    seen = {}
    for _ in range(3):  # the toggle cycles through the three settings
        toggle.click()
        seen[body.get_attribute("data-theme")] = tab.page.evaluate(COLOURS)
    assert set(seen) == {"auto", "light", "dark"}

    light, dark = seen["light"], seen["dark"]
    assert light == auto
    for part in ("background", "text", "code"):
        assert light[part] != dark[part], f"the {part} colour does not change: {light[part]}"
    assert luminance(dark["background"]) < luminance(light["background"])
    assert luminance(dark["text"]) > luminance(light["text"])

    while body.get_attribute("data-theme") != "dark":
        toggle.click()
    tab.page.reload()
    assert body.get_attribute("data-theme") == "dark", "the choice is lost on the next page"
    assert tab.page.evaluate(COLOURS) == dark
    assert not tab.console_errors + tab.page_errors
