"""Tools from Debian packages that pip cannot install (``.ci/setup`` installs them)."""

from __future__ import annotations

import os

import pytest


def debian_tool(path: str | None, what: str, package: str) -> str:
    """A tool that pip cannot install: required in CI, a visible skip elsewhere.

    ``path`` is where the tool was found (None when it was not).
    """
    if path is None:
        message = f"{what} is not installed (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this check: {message}")
        pytest.skip(message)
    return path
