"""``.. sqlalchemy-line:: 2.0``: output that belongs to one SQLAlchemy release line.

On the page the block is a titled box ("SQLAlchemy 2.0"), so a reader sees
which release the example shows. The test harness (``tests/harness.py``)
runs the examples inside only when that line is installed and otherwise
reports them as skipped with the same reason: nothing is skipped silently.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

LINES = ("2.0", "2.1")


class SQLAlchemyLine(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        line = self.arguments[0]
        if line not in LINES:
            raise self.error(f"unknown SQLAlchemy release line {line!r}; expected one of {LINES}")
        box = nodes.admonition(classes=["sqlalchemy-line", "line-" + re.sub(r"\W", "-", line)])
        box += nodes.title(text=f"SQLAlchemy {line}")
        self.state.nested_parse(self.content, self.content_offset, box)
        self.set_source_info(box)
        return [box]


def setup(app: Sphinx) -> dict:
    app.add_directive("sqlalchemy-line", SQLAlchemyLine)
    app.add_css_file("guide.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
