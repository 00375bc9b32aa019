"""What a page is and what running one gives back: the light half of the harness.

The pytest process needs these to collect pages and to report their verdicts;
they import nothing heavy, so that with page workers (``tests/pageworkers.py``)
the pytest process never imports SQLAlchemy: the workers' own process does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Where pages and programs get their temporary directories: memory (tmpfs) when the system
#: has it, because SQLite syncs every commit to disk and the pages commit often; else the
#: usual temporary folder.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

PROMPT = re.compile(r"^[ \t]*>>>(?: (?P<source>.*))?$", re.MULTILINE)


def shown_path(path: str | Path) -> str:
    """A page's path as reports show it: relative to the checkout when it is inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def is_page(path: Path) -> bool:
    """A page of the guide: a ``.rst`` file under ``docs/``, outside the build folder."""
    return path.suffix == ".rst" and path.is_relative_to(DOCS) and "_build" not in path.parts


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)


def prompt_lines(text: str) -> list[int]:
    """Line numbers (1-based) of ``>>>`` lines that carry code."""
    lines, line, counted = [], 1, 0
    for m in PROMPT.finditer(text):
        line += text.count("\n", counted, m.start())  # counted from the previous prompt on
        counted = m.start()
        source = m.group("source") or ""
        if source.strip() and not source.lstrip().startswith("#"):
            lines.append(line)
    return lines


@dataclass(frozen=True)
class Outcome:
    """The verdict on one example: ``passed``, ``failed`` or ``skipped``, with the why."""

    line: int
    status: str
    detail: str = ""


@dataclass
class PageResult:
    """Every example's verdict, or ``error`` when the page itself could not run."""

    page: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
