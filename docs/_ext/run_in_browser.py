"""Run in your browser: the examples of a page, editable and run where the reader reads them.

- Every page that shows ``>>>`` examples loads ``_static/run.js`` (deferred, about 1 KB): it adds
  the "Run in your browser" control and, only when the reader asks, loads ``run-ui.js``, which
  starts the runtime (Pyodide, from ``_runtime/`` at the site's root: docs/_runtime/) in a Web
  Worker and makes every example editable. ``run.js`` is rendered per language from
  ``_static/run.js_t``: its interface strings are translated in the catalogs like the templates'.
- ``.. not-in-browser:: reason`` wraps examples that cannot run in the browser's Python; the
  reason is shown above them, the page's other examples still run. The test suite runs them
  like any other example; ``nox -s doctest-browser`` reports them as skipped with the reason.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
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


def add_control(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.format == "html" and app.builder.name != "epub" and has_examples(doctree):
        app.add_js_file("run.js", loading_method="defer")  # this page only


def setup(app: Sphinx) -> dict:
    app.add_directive("not-in-browser", NotInBrowser)
    app.connect("html-page-context", add_control)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
