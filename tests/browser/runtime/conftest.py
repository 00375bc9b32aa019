"""``nox -s doctest-browser``: the tally of every example run in the readers' runtime, printed
at the end of the run (tests/browser/runtime/test_every_example_in_the_browser.py fills it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

TALLY = pytest.StashKey["Tally"]()


@dataclass
class Tally:
    verified: int = 0
    failed: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> examples

    @property
    def total(self) -> int:
        return self.verified + self.failed + sum(self.skipped.values())

    def lines(self) -> list[str]:
        if not self.total:
            return []
        share = 100 * self.verified / self.total
        lines = [
            f"examples verified in the browser runtime: {self.verified} of {self.total}"
            f" ({share:.1f} %); failed: {self.failed}"
        ]
        lines += [f"  skipped {count}: {reason}" for reason, count in sorted(self.skipped.items())]
        return lines


@pytest.fixture(scope="session")
def tally(request: pytest.FixtureRequest) -> Tally:
    return request.config.stash.setdefault(TALLY, Tally())


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    for line in config.stash.get(TALLY, Tally()).lines():
        terminalreporter.write_line(line)
