"""Sphinx configuration for the guide (English source, Russian translation)."""

import sys
from pathlib import Path

import sqlalchemy

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# -- Project -----------------------------------------------------------------
project = "SQLAlchemy: Engine, Session, Pool"
author = "The guide's authors"
copyright = "2026"  # no English words in the footer of the Russian site
release = sqlalchemy.__version__  # the release every example was executed with
version = ".".join(release.split(".")[:2])

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.intersphinx",
    "sphinx_copybutton",
    "offline_inventories",  # _ext/: intersphinx from text files, no network
    "release_lines",  # _ext/: the ``sqlalchemy-line`` directive
    "languages",  # _ext/: language switcher, hreflang links, theme strings via gettext
]
exclude_patterns = ["_build", "_inventories", "_templates", "**/_*.rst"]
templates_path = ["_templates"]

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

# -- HTML ---------------------------------------------------------------------
html_theme = "furo"
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/search.html",
        "sidebar/languages.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
html_title = "SQLAlchemy: Engine, Session, Pool"
html_static_path = ["_static"]
html_last_updated_fmt = None
html_show_sourcelink = False
html_show_sphinx = False  # the theme's "Made with Sphinx and ..." line is hard-coded English
html_copy_source = False
pygments_style = "friendly"
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
