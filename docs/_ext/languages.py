"""One site per language, each page linked to its twin in the other languages.

- ``guide_languages`` (conf.py) names the languages the site is built in.
- Every page gets a language switcher (template ``sidebar/languages.html``)
  and ``<link rel="alternate" hreflang>`` tags, both pointing at the same page
  in the other languages. The sites live side by side: ``<root>/en/``, ``<root>/ru/``.
  The switcher's links are relative, so that a built folder works from any server;
  the hreflang links are absolute (``guide_base_url``), as search engines require.
- Interface text that the theme writes as plain English (a few ``aria-label``
  attributes) is passed through gettext when the template is loaded (``template_bridge``
  in conf.py names the loader that does it), so the project's
  ``locale/<lang>/LC_MESSAGES/sphinx.po`` can translate it.
"""

from __future__ import annotations

import csv
import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.jinja2glue import BuiltinTemplateLoader
from sphinx.locale import _
from sphinx.util.docutils import SphinxDirective

#: Interface strings the theme hard-codes instead of passing them through gettext.
HARD_CODED = (
    "Toggle site navigation sidebar",
    "Toggle table of contents sidebar",
    "Toggle Light / Dark / Auto color theme",
)
#: The titles of the theme's icons (``<svg><title>``), which screen readers read out.
HARD_CODED_TITLES = (
    "Contents",
    "Menu",
    "Expand",
    "Light mode",
    "Dark mode",
    "Auto light/dark, in light mode",
    "Auto light/dark, in dark mode",
)
#: Interface text that the theme and Sphinx write from Python, translated here.
NAVIGATION_TOGGLE = "Toggle navigation of %(title)s"  # furo's label of a section's expander
INTERSPHINX_TITLE = "(in %s %s)"  # sphinx.ext.intersphinx's title of a link to another site
GENERATED = (NAVIGATION_TOGGLE, INTERSPHINX_TITLE)


def alternates(app: Sphinx, pagename: str) -> list[dict[str, str]]:
    depth = pagename.count("/") + 1  # from the page's folder up to the site root
    up = "../" * depth
    suffix = app.builder.out_suffix if hasattr(app.builder, "out_suffix") else ".html"
    return [
        {
            "code": code,
            "name": name,
            "url": f"{up}{code}/{pagename}{suffix}",
            "absolute": f"{app.config.guide_base_url}{code}/{pagename}{suffix}",
            "current": code == (app.config.language or "en"),
        }
        for code, name in app.config.guide_languages.items()
    ]


def add_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    context["guide_alternates"] = alternates(app, pagename)


class TranslatingTemplateLoader(BuiltinTemplateLoader):
    """Sphinx's template loader, with the theme's hard-coded ``aria-label`` texts passed
    through gettext. conf.py names it as ``template_bridge``."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        for text in HARD_CODED:
            source = source.replace(f'aria-label="{text}"', f'aria-label="{{{{ _("{text}") }}}}"')
        for text in HARD_CODED_TITLES:
            translated = f'<title>{{{{ _("{text}") }}}}</title>'
            source = source.replace(f"<title>{text}</title>", translated)
        return source, filename, uptodate


TOGGLE = re.compile(r"Toggle navigation of ([^<\"]*)")


def translate_navigation(app: Sphinx, pagename: str, templatename: str, context: dict, doctree):
    """furo writes "Toggle navigation of <section>" into the navigation it builds in Python."""
    tree = context.get("furo_navigation_tree")
    if tree and app.config.language != "en":
        context["furo_navigation_tree"] = TOGGLE.sub(
            lambda m: _(NAVIGATION_TOGGLE) % {"title": m.group(1)}, tree
        )


class TermTable(SphinxDirective):
    """``.. term-table:: _terms/ru.csv``: the agreed translation of each term, and why.

    The first column links to the glossary entry of a glossary term (the table also holds
    words the glossary does not define, such as "logger"); each column's cells carry the
    language of their header (``English``, ``Русский``, ``Почему``). The cells are not offered
    for translation: the table is the same on every language's site.
    """

    required_arguments = 1
    has_content = False
    COLUMN_LANGUAGES = {"English": "en", "Русский": "ru", "Почему": "ru"}

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(relative)
        with open(path, encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        languages = [self.COLUMN_LANGUAGES.get(name, "") for name in header]
        table = nodes.table(classes=["term-table"])
        group = nodes.tgroup(cols=len(header))
        table += group
        group += [nodes.colspec(colwidth=1) for _ in header]
        group += nodes.thead("", self.row(header, languages, link=False))
        group += nodes.tbody("", *(self.row(r, languages, link=True) for r in rows))
        self.set_source_info(table)
        return [table]

    def in_glossary(self, term: str) -> bool:
        """The glossary directive above the table has recorded its terms by now."""
        std = self.env.get_domain("std")
        return term.lower() in {name.lower() for kind, name in std.objects if kind == "term"}

    def row(self, cells: list[str], languages: list[str], link: bool) -> nodes.row:
        row = nodes.row()
        for number, (text, language) in enumerate(zip(cells, languages, strict=True)):
            paragraph = nodes.paragraph(translatable=False)
            if language:
                paragraph["classes"].append(f"language-{language}")
            if link and number == 0 and self.in_glossary(text):
                paragraph += addnodes.pending_xref(
                    "",
                    nodes.inline(text=text),
                    refdomain="std",
                    reftype="term",
                    reftarget=text,
                    refexplicit=True,
                    refwarn=True,
                )
            else:
                paragraph += nodes.Text(text)
            row += nodes.entry("", paragraph)
        return row


def setup(app: Sphinx) -> dict:
    app.add_directive("term-table", TermTable)
    app.add_config_value("guide_languages", {"en": "English"}, "html", types=[dict])
    app.connect("html-page-context", add_context)
    app.connect("html-page-context", translate_navigation, priority=900)  # after furo's
    return {"parallel_read_safe": True, "parallel_write_safe": True}
