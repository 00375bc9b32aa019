"""Run in your browser: the examples of a page, editable and run where the reader reads them.

- Every page that shows ``>>>`` examples gets the "Run in your browser" control under its title,
  written into the page (so that nothing moves when scripts run; its button is disabled until
  they do), and loads ``_static/run.js`` (deferred, under 1 KB), which enables it and, only when
  the reader asks, loads ``run-ui.js``: it starts the runtime (Pyodide, from ``_runtime/`` at the
  site's root: docs/_runtime/) in a Web Worker and makes every example editable. The control's
  words (:data:`MESSAGES`) and ``run-ui.js_t``'s are translated in the interface catalog.
- ``.. not-in-browser:: reason`` wraps examples that cannot run in the browser's Python; the
  reason is shown above them, the page's other examples still run. The test suite runs them
  like any other example; ``nox -s doctest-browser`` reports them as skipped with the reason.
"""

from __future__ import annotations

from html import escape

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.util.docutils import SphinxDirective


class NotInBrowser(SphinxDirective):
    """Examples that the browser's Python cannot run, with the reason (one sentence)."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self) -> list[nodes.Node]:
        box = nodes.container(classes=["not-in-browser"])
        self.set_source_info(box)
        text_nodes, messages = self.state.inline_text(self.arguments[0], self.lineno)
        reason = nodes.paragraph(
            self.arguments[0], "", *text_nodes, classes=["not-in-browser-reason"]
        )
        self.set_source_info(reason)
        box += reason
        box += messages
        self.state.nested_parse(self.content, self.content_offset, box)
        return [box]


def has_examples(doctree: nodes.document | None) -> bool:
    if doctree is None:
        return False
    return any(
        block.astext().lstrip().startswith(">>>")
        for block in doctree.findall(nodes.FixedTextElement)
        if isinstance(block, (nodes.literal_block, nodes.doctest_block))
    )


START = "Run the examples in your browser"
NOTE = "Python and SQLAlchemy run inside this page: edit any example and run it."
#: The control's words, for the interface catalog (tests/catalogs.py extracts them).
MESSAGES = (START, NOTE)


def control() -> str:
    return (
        '<div class="run-control"><button type="button" class="run-start" disabled>'
        f"{escape(_(START))}</button>"
        f'<p class="run-status" role="status">{escape(_(NOTE))}</p></div>'
    )


def add_control(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.format == "html" and app.builder.name != "epub" and has_examples(doctree):
        app.add_js_file("run.js", loading_method="defer")  # this page only
        context["body"] = context["body"].replace("</h1>", "</h1>\n" + control(), 1)


def setup(app: Sphinx) -> dict:
    app.add_directive("not-in-browser", NotInBrowser)
    app.connect("html-page-context", add_control)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
