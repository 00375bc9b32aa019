"""pytest plugin: run the pages in reverse order (examples within a page keep their order).

CI uses it (``-p tests.reverse_pages``) to prove that no page depends on another.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    pages: dict[str, list[pytest.Item]] = {}
    for item in items:
        pages.setdefault(str(item.path), []).append(item)
    items[:] = [item for page in reversed(pages) for item in pages[page]]
