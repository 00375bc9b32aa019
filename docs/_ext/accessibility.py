"""Markup that assistive technology needs and Sphinx leaves out (axe-core finds it: tests/browser).

- A toctree caption (a group title in the sidebar navigation, or above a toctree on a page) is
  written as ``<p class="caption" role="heading">``. An element with the heading role must say
  its level (WCAG 1.3.1, axe rule ``aria-required-attr``): level 2 in the sidebar, where the
  captions head groups of pages, and one below the enclosing section inside a page.
- A code block scrolls sideways when a line is longer than the column. A scrollable region must
  be reachable from the keyboard (WCAG 2.1.1, axe rule ``scrollable-region-focusable``), so the
  ``<pre>`` of every highlighted block gets ``tabindex="0"``.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

HIGHLIGHTED_PRE = '<div class="highlight"><pre>'


class AccessibleHTMLTranslator(HTML5Translator):
    def visit_title(self, node: nodes.title) -> None:
        start = len(self.body)
        super().visit_title(node)
        parent = node.parent
        if isinstance(parent, addnodes.compact_paragraph) and parent.get("toctree"):
            # Sphinx has just written the caption's <p ... role="heading">; attributes are
            # written in name order, so aria-level comes first
            level = max(2, self.section_level + 1)
            tag = self.body[start]
            self.body[start] = tag.replace("<p ", f'<p aria-level="{level}" ', 1)

    def visit_literal_block(self, node: nodes.literal_block) -> None:
        try:
            super().visit_literal_block(node)
        except nodes.SkipNode:
            self.make_code_focusable()
            raise
        self.make_code_focusable()

    visit_doctest_block = visit_literal_block

    def make_code_focusable(self) -> None:
        if self.body and HIGHLIGHTED_PRE in self.body[-1]:
            self.body[-1] = self.body[-1].replace(
                HIGHLIGHTED_PRE, '<div class="highlight"><pre tabindex="0">', 1
            )


def setup(app: Sphinx) -> dict:
    app.set_translator("html", AccessibleHTMLTranslator)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
