"""``.. sqlalchemy-line:: 2.0``: output that belongs to one SQLAlchemy release line.

On the page the block is a titled box ("SQLAlchemy 2.0"), so a reader sees
which release the example shows. The box of the release line the site is built
with is open; a box of another line is collapsed (an HTML ``<details>``
element), so that a reader sees the current output first and opens the other
on demand. The test harness (``tests/harness.py``) runs the examples inside
only when that line is installed and otherwise reports them as skipped with the
same reason: nothing is skipped silently.
"""

from __future__ import annotations

import re

import sqlalchemy
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

LINES = ("2.0", "2.1")

#: The release line of the installed SQLAlchemy: the default of ``sqlalchemy_line``, the line
#: whose boxes are open.
INSTALLED = ".".join(sqlalchemy.__version__.split(".")[:2])


class other_line(nodes.Admonition, nodes.Element):
    """A box of a release line other than ``sqlalchemy_line``; HTML shows it collapsed."""


class other_line_title(nodes.Part, nodes.TextElement):
    """The title of an ``other_line`` box: the ``<summary>`` a reader clicks to open it."""


def visit_other_line(translator: HTML5Translator, node: other_line) -> None:
    # E-book readers differ in how they show <details>: the ePub opens the box.
    opened = {"open": "open"} if translator.builder.name == "epub" else {}
    translator.body.append(translator.starttag(node, "details", CLASS="admonition", **opened))


def depart_other_line(translator: HTML5Translator, node: other_line) -> None:
    translator.body.append("</details>\n")


def visit_other_line_title(translator: HTML5Translator, node: other_line_title) -> None:
    translator.body.append(translator.starttag(node, "summary", "", CLASS="admonition-title"))


def depart_other_line_title(translator: HTML5Translator, node: other_line_title) -> None:
    translator.body.append("</summary>\n")


class SQLAlchemyLine(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        line = self.arguments[0]
        if line not in LINES:
            raise self.error(f"unknown SQLAlchemy release line {line!r}; expected one of {LINES}")
        current = line == self.config.sqlalchemy_line
        box = (nodes.admonition if current else other_line)(
            classes=["sqlalchemy-line", "line-" + re.sub(r"\W", "-", line)]
        )
        # The same in every language, and the same message whichever line builds the site.
        title = nodes.title if current else other_line_title
        box += title(text=f"SQLAlchemy {line}", translatable=False)
        self.state.nested_parse(self.content, self.content_offset, box)
        self.set_source_info(box)
        return [box]


def setup(app: Sphinx) -> dict:
    # A config value ("env"), so that a build with another release line rereads every page.
    app.add_config_value("sqlalchemy_line", INSTALLED, "env", types=frozenset({str}))
    app.add_directive("sqlalchemy-line", SQLAlchemyLine)
    app.add_node(other_line, html=(visit_other_line, depart_other_line))
    app.add_node(other_line_title, html=(visit_other_line_title, depart_other_line_title))
    app.add_css_file("guide.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
