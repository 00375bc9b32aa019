"""``python -m tests.run [pytest arguments]``: pytest, with SQLAlchemy's import started first.

``nox -s doctest`` runs the suite so. Before this process imports pytest, it forks
the page workers' preparing process (``tests/pageworkers.py``), which imports
SQLAlchemy and warms it up while pytest starts: the two imports run side by side
instead of one after the other, and the first page starts some 0.3 s sooner. The
run takes the process over when pytest is configured, and ends it if the run
needs no page workers (``--page-workers 0``, ``--pdb``, no pages). Everything
else is plain pytest: ``pytest docs/...`` gives the same verdicts, only later.
"""

from __future__ import annotations

import sys

from tests import pageworkers  # imports neither pytest nor SQLAlchemy


def main(args: list[str]) -> int:
    if pageworkers.available():
        pageworkers.start_early()
    import pytest

    return int(pytest.main(args))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
