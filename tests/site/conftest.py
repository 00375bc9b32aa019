"""The built site that the checks in this folder read (``--site``, given by ``nox -s docs``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--site")).resolve()
