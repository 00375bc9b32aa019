"""Facts about the diagrams, read from their sources: which page shows which drawing, and
the messages, text alternative and caption of each (for tests/test_diagrams.py and the
site checks in tests/site/test_diagrams.py).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tests import catalogs

sys.path.insert(0, str(catalogs.DOCS / "_ext"))
import diagrams as extension  # noqa: E402  (docs/_ext/diagrams.py, the Sphinx extension)

DIAGRAMS = catalogs.DOCS / "_diagrams"

#: ``.. diagram:: <path>`` with its indented block (options, blank lines, caption).
DIRECTIVE = re.compile(
    r"^\.\. diagram:: (?P<path>\S+)\n(?P<block>(?:(?:   .*)?\n)*)", flags=re.MULTILINE
)


@dataclass(frozen=True)
class Diagram:
    page: str  # document name, e.g. "states/transitions"
    source: Path  # the .dot file
    alt: str  # the text alternative, as the catalog holds it
    caption: str  # the caption, as the catalog holds it

    @property
    def messages(self) -> list[str]:
        """The label messages a translator translates, in the order of the source."""
        text = self.source.read_text(encoding="utf-8")
        return extension.messages(text, str(self.source.relative_to(catalogs.ROOT)))


def one_line(text: str) -> str:
    return " ".join(text.split())


def page_diagrams(document: str) -> list[Diagram]:
    """The diagrams of a page, in page order."""
    path = catalogs.DOCS / f"{document}.rst"
    found = []
    for match in DIRECTIVE.finditer(path.read_text(encoding="utf-8")):
        block = match.group("block").rstrip("\n")
        options, _, caption = block.partition("\n\n")
        alt = re.search(r"^   :alt:(?P<alt>.*(?:\n      .*)*)", options, flags=re.MULTILINE)
        source = catalogs.DOCS / match.group("path").lstrip("/")
        found.append(
            Diagram(document, source, one_line(alt.group("alt")) if alt else "", one_line(caption))
        )
    return found


def all_diagrams() -> list[Diagram]:
    return [d for document in catalogs.documents() for d in page_diagrams(document)]
