"""Highlighted code blocks kept for every build of the site, and highlighted ahead of them.

:class:`HighlightedCode` is one of docs/_ext/build_speed.py's hooks (it stands in for a
``PygmentsBridge``'s ``highlight_block``; build_speed.py installs it, says why, and checks the
internals it relies on). It lives in a module of its own, which imports Pygments and
``sphinx.highlighting`` only, because tests/sitebuild.py uses it before Sphinx is imported:
:func:`highlight_ahead` runs in a process of its own while the builds' modules are imported,
on a core that would otherwise be idle, and keeps the blocks it highlights for the builds.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: records are appended unlocked, and never cut
    fcntl = None  # type: ignore[assignment]

import pygments
import sphinx
import sphinx.highlighting
from sphinx.highlighting import PygmentsBridge, lexers


class ReusedFormatters:
    """Stands in for ``PygmentsBridge.formatter`` (the class it instantiates for each block):
    returns the formatter made earlier with the same options."""

    def __init__(self, formatter_class) -> None:
        self.formatter_class = formatter_class
        self.made: dict = {}

    def __call__(self, **options):
        try:
            key = tuple(sorted(options.items()))
            hash(key)
        except TypeError:  # an option that is a list (``hl_lines``): a formatter of its own
            return self.formatter_class(**options)
        if key not in self.made:
            self.made[key] = self.formatter_class(**options)
        return self.made[key]


class KeptBlocks:
    """Highlighted blocks by name, kept in one file that the builds append to and read.

    A record is a header line (the block's name, the length of its HTML in bytes, a digest
    of that HTML) followed by the HTML. Builds running side by side append whole records,
    each with one write, under an exclusive lock of the file, and read the others' records as
    they need them, without the lock: a record still being written is read once it is whole.
    A record cut short (a build killed while writing, a full disk) or not matching its digest
    is never handed out; the next append, under the lock, cuts the file before it (nothing can
    be writing then), so the records that follow are read again.
    """

    HEADER = re.compile(rb"([0-9a-f]{64}) ([0-9]{1,9}) ([0-9a-f]{16})\n")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.blocks: dict[str, str] = {}
        self.read_to = 0  # where the next record to read starts

    @staticmethod
    def digest(html: bytes) -> bytes:
        return hashlib.blake2b(html, digest_size=8).hexdigest().encode()

    def get(self, name: str) -> str | None:
        if name not in self.blocks:
            try:
                with open(self.path, "rb") as file:
                    self.read(file)
            except FileNotFoundError:
                pass
        return self.blocks.get(name)

    def read(self, file) -> bool:
        """Read the records after ``read_to``; True if the file ends with a whole record."""
        file.seek(self.read_to)
        data = file.read()
        position = 0
        while position < len(data):
            header = self.HEADER.match(data, position)
            if header is None:
                break  # being written, cut short or damaged: see the class's docstring
            name, length, digest = header.groups()
            start = header.end()
            html = data[start : start + int(length)]
            if len(html) < int(length) or self.digest(html) != digest:
                break
            self.blocks[name.decode()] = html.decode()
            position = start + int(length)
        self.read_to += position
        return position == len(data)

    def add(self, name: str, html: str) -> None:
        data = html.encode()
        record = b"%s %d %s\n" % (name.encode(), len(data), self.digest(data)) + data
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as file:
            if fcntl is not None:
                fcntl.flock(file, fcntl.LOCK_EX)  # released when the file is closed
                if not self.read(file):  # nobody is writing: what does not read is damaged
                    file.truncate(self.read_to)
            else:
                self.read(file)
            file.write(record)
            file.flush()
            self.read_to = file.tell()
        self.blocks[name] = html


class HighlightedCode:
    """Stands in for a ``PygmentsBridge``'s ``highlight_block``: returns the HTML kept for the
    same block (:class:`KeptBlocks`), or highlights it and keeps the result."""

    def __init__(self, bridge: PygmentsBridge, folder: Path) -> None:
        self.highlight = bridge.highlight_block
        self.kept = KeptBlocks(folder / "blocks")
        style = bridge.formatter_args["style"]
        formatter = getattr(bridge.formatter, "formatter_class", bridge.formatter)
        self.set_up = repr(
            (
                sphinx.__version__,
                pygments.__version__,
                f"{formatter.__module__}.{formatter.__qualname__}",
                f"{style.__module__}.{style.__qualname__}",
                sorted((name, type(lexer).__qualname__) for name, lexer in lexers.items()),
            )
        )
        self.logged = LoggedRecords()
        self.highlighted = 0  # blocks highlighted here, not read

    def __call__(self, source, lang, opts=None, force=False, location=None, **kwargs):
        options = sorted((opts or {}).items())
        key = repr((self.set_up, source, lang, options, force, sorted(kwargs.items())))
        name = hashlib.sha256(key.encode()).hexdigest()
        kept = self.kept.get(name)
        if kept is not None:
            return kept
        with self.logged:
            highlighted = self.highlight(source, lang, opts, force, location, **kwargs)
        self.highlighted += 1
        if not self.logged.any:
            self.kept.add(name, highlighted)
        return highlighted


class LoggedRecords(logging.Filter):
    """While active: whether ``sphinx.highlighting`` logged anything (warnings included)."""

    def __enter__(self) -> None:
        self.any = False
        sphinx.highlighting.logger.logger.addFilter(self)

    def __exit__(self, *exception) -> None:
        sphinx.highlighting.logger.logger.removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        self.any = True
        return True


# --- highlighted ahead of the builds --------------------------------------------------------

#: A directive whose content is highlighted as ``pycon`` rather than as the page's default.
PYCON_DIRECTIVE = re.compile(r"\.\. (code-block|code|sourcecode)::\s*pycon\s*$")


def doctest_blocks(text: str) -> list[tuple[str, str]]:
    """The doctest blocks of a reStructuredText page, each with the language Sphinx will most
    likely highlight it in: a block of lines from one that starts with ``>>>`` after a blank
    line to the next blank line, less its indentation; ``pycon`` inside a ``code-block::
    pycon`` directive, else ``default``. A guess: a block guessed wrong is highlighted for
    nothing, never used in place of another (:class:`HighlightedCode` names a block after
    all it is highlighted from)."""
    lines = text.splitlines()
    blocks = []
    number = 0
    while number < len(lines):
        line = lines[number]
        code = line.lstrip()
        if not code.startswith(">>>") or (number and lines[number - 1].strip()):
            number += 1
            continue
        indent = len(line) - len(code)
        end = number
        while end < len(lines) and lines[end].strip():
            end += 1
        block = "\n".join(line[indent:] for line in lines[number:end])
        above = number - 1
        while above >= 0 and (
            not lines[above].strip() or len(lines[above]) - len(lines[above].lstrip()) >= indent
        ):
            above -= 1
        pycon = above >= 0 and indent and PYCON_DIRECTIVE.match(lines[above].strip())
        blocks.append((block, "pycon" if pycon else "default"))
        number = end
    return blocks


def highlight_ahead(docs: Path, folder: Path, style: str, stop: Callable[[], bool]) -> int:
    """Highlight the doctest blocks of every page under ``docs`` (but those in folders and
    files whose names start with ``_``) as an HTML build with the Pygments style ``style``
    would, keeping them in ``folder`` for the builds; until ``stop()``. How many blocks it
    highlighted (the others were kept already)."""
    bridge = PygmentsBridge("html", style)
    bridge.formatter = ReusedFormatters(bridge.formatter)
    code = HighlightedCode(bridge, folder)
    for page in sorted(docs.rglob("*.rst")):
        if any(part.startswith("_") for part in page.relative_to(docs).parts):
            continue
        for source, language in doctest_blocks(page.read_text(encoding="utf-8")):
            if stop():
                return code.highlighted
            code(source, language, {}, False, None, linenos=False)
    return code.highlighted
