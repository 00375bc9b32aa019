"""A built site on 127.0.0.1, for the checks that open it in a browser (tests/browser,
tests/lighthouse) and for the bench: one server, started in a thread, at a free port."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

LANGUAGES = ("en", "ru")


@contextmanager
def serving(directory: Path | str, handler: type[SimpleHTTPRequestHandler]) -> Iterator[str]:
    """``directory`` served on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def site_option(config: pytest.Config, checks: str) -> Path:
    """The built site given with ``--site`` to the checks in ``checks`` (a folder name)."""
    value = config.getoption("--site")
    if not value:
        raise pytest.UsageError(f"{checks} reads a built site: pass --site _build/site")
    site = Path(value).resolve()
    if not all((site / language / "index.html").is_file() for language in LANGUAGES):
        raise pytest.UsageError(f"{site} holds no built site; run `nox -s docs` first")
    return site
