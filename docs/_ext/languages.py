"""One site per language, each page linked to its twin in the other languages.

- ``guide_languages`` (conf.py) names the languages the site is built in.
- Every page gets a language switcher (template ``sidebar/languages.html``)
  and ``<link rel="alternate" hreflang>`` tags, both pointing at the same page
  in the other languages. The sites live side by side: ``<root>/en/``, ``<root>/ru/``.
- Interface text that the theme writes as plain English (a few ``aria-label``
  attributes) is passed through gettext when the template is loaded, so the
  project's ``locale/<lang>/LC_MESSAGES/sphinx.po`` can translate it.
"""

from __future__ import annotations

from sphinx.application import Sphinx

#: Interface strings the theme hard-codes instead of passing them through gettext.
HARD_CODED = (
    "Toggle site navigation sidebar",
    "Toggle table of contents sidebar",
    "Toggle Light / Dark / Auto color theme",
)


def alternates(app: Sphinx, pagename: str) -> list[dict[str, str]]:
    depth = pagename.count("/") + 1  # from the page's folder up to the site root
    up = "../" * depth
    suffix = app.builder.out_suffix if hasattr(app.builder, "out_suffix") else ".html"
    return [
        {
            "code": code,
            "name": name,
            "url": f"{up}{code}/{pagename}{suffix}",
            "current": code == (app.config.language or "en"),
        }
        for code, name in app.config.guide_languages.items()
    ]


def add_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    context["guide_alternates"] = alternates(app, pagename)


def translate_hard_coded_strings(app: Sphinx) -> None:
    loader = getattr(app.builder, "templates", None)
    if loader is None or not hasattr(loader, "get_source"):
        return
    original = loader.get_source

    def get_source(environment, template):
        source, filename, uptodate = original(environment, template)
        for text in HARD_CODED:
            source = source.replace(f'aria-label="{text}"', f'aria-label="{{{{ _("{text}") }}}}"')
        return source, filename, uptodate

    loader.get_source = get_source


def setup(app: Sphinx) -> dict:
    app.add_config_value("guide_languages", {"en": "English"}, "html", types=[dict])
    app.connect("builder-inited", translate_hard_coded_strings)
    app.connect("html-page-context", add_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
