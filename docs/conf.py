"""Sphinx configuration for the guide (English source, Russian translation)."""

import os
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# -- Project -----------------------------------------------------------------
project = "SQLAlchemy: Engine, Session, Pool"
author = "The guide's authors"
copyright = "2026"  # no English words in the footer of the Russian site
release = installed_version("sqlalchemy")  # what the examples ran with (no import: faster builds)
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.intersphinx",
    "sphinx.ext.graphviz",  # draws the diagrams; needs Graphviz's `dot` (Debian: graphviz)
    "sphinx_copybutton",
    "offline_inventories",  # _ext/: intersphinx from text files, no network
    "release_lines",  # _ext/: the ``sqlalchemy-line`` directive
    "languages",  # _ext/: language switcher, hreflang links, theme strings via gettext
    "sphinxext.opengraph",  # Open Graph / Twitter card tags for link previews
    "publishing",  # _ext/: site address, sitemap, 404 page, ePub names (see Publishing below)
    "diagrams",  # _ext/: the ``diagram`` directive: Graphviz drawings with translated labels
    "accessibility",  # _ext/: heading levels of toctree captions, keyboard-scrollable code
    "lean_pages",  # _ext/: pages load only what they use; compact search index
    "run_in_browser",  # _ext/: "Run in your browser" (Pyodide, _runtime/) and ``not-in-browser``
]
exclude_patterns = ["_build", "_inventories", "_runtime", "_templates", "**/_*.rst"]
templates_path = ["_templates"]
# Sphinx's template loader, plus gettext for the theme's hard-coded aria-labels (_ext/languages.py)
template_bridge = "languages.TranslatingTemplateLoader"

# -- References: every one must resolve --------------------------------------
nitpicky = True
nitpick_ignore = [
    # Type hints in prose that neither reference documents as objects.
]
default_role = "code"  # a single-backtick slip renders as code, never as a guess

# -- Links to the official references, without the network ------------------
# Only the inventories compiled from docs/_inventories/*.txt are used.
intersphinx_mapping = {}
offline_inventories = {
    "sqlalchemy": ("https://docs.sqlalchemy.org/en/21/", "2.1"),
    "python": ("https://docs.python.org/3/", "3"),
}

# -- Diagrams: drawn from docs/_diagrams/*.dot at build time -----------------
graphviz_output_format = "svg"  # inlined into the page: real text, themed by diagrams.css

# -- HTML ---------------------------------------------------------------------
html_theme = "furo"
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/search.html",
        "sidebar/languages.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/download.html",  # the ePub edition of the page's language
        "sidebar/scroll-end.html",
    ]
}
html_title = "SQLAlchemy: Engine, Session, Pool"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # declared: browsers then ask for no favicon.ico
html_last_updated_fmt = None
html_show_sourcelink = False
html_show_sphinx = False  # the theme's "Made with Sphinx and ..." line is hard-coded English
html_copy_source = False
pygments_style = "default"  # every token colour has 4.5:1 contrast (WCAG AA); "friendly" has not
pygments_dark_style = "monokai"

# -- Copy button: copy the code of an example, never prompts or output -------
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- Languages: English source, Russian from gettext catalogs (sphinx-intl) --
guide_languages = {"en": "English", "ru": "Русский"}
locale_dirs = ["../locale/"]
gettext_compact = False  # one catalog per page, mirroring the docs tree
gettext_location = False  # no line numbers in catalogs: an edit elsewhere changes nothing
gettext_uuid = False

# -- Publishing (_ext/publishing.py) -----------------------------------------
# The address of the site's root; each language is published under it (<base>en/, <base>ru/).
# Canonical links, og:url, the sitemaps, robots.txt, the 404 pages and the ePub identifier are
# built from it. The Pages workflow sets GUIDE_BASE_URL to the repository's Pages address; the
# default uses example.org, a domain reserved for examples (RFC 2606), so a local build never
# names anyone's real site.
guide_base_url = os.environ.get("GUIDE_BASE_URL", "https://example.org/sqlalchemy-guide/")

# Social previews (sphinxext-opengraph): og:description is the page's first paragraph, so it is
# in the page's language; publishing.py adds og:locale, og:locale:alternate and twitter:card.
ogp_type = "website"
ogp_social_cards = {"enable": False}  # no generated images: pages stay light

# -- Offline edition (ePub), linked from every page's sidebar -----------------
epub_basename = "sqlalchemy-guide"  # publishing.py adds the language: sqlalchemy-guide-ru.epub
epub_contributor = author
epub_show_urls = "no"  # API names stay links; their addresses would break every sentence
epub_exclude_files = [  # the site's "page not found" page is not a chapter; a book runs nothing
    "404.xhtml",
    "_static/run.js",
    "_static/run-ui.js",
    "_static/run.css",
]
epub_css_files = ["book.css"]  # the theme colours the project's stylesheets use
