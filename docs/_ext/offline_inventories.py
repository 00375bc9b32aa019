"""Intersphinx without the network: inventories kept as reviewable text.

``docs/_inventories/<name>.txt`` lists, one per line, the objects of an
external site that pages link to, in the body format of a Sphinx v2
inventory::

    sqlalchemy.engine.Engine py:class 1 core/connections.html#$ -

At ``config-inited`` each text file is compiled into a real ``objects.inv``
under the doctree directory and ``intersphinx_mapping`` is pointed at it, so
the build never fetches anything and every link is checked by ``-n``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

HEADER = "# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
HEADER_TAIL = "# The remainder of this file is compressed using zlib.\n"


def read_entries(path: Path) -> list[str]:
    """Entry lines of a text inventory; a malformed line is an error naming file and line."""
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(maxsplit=4)
        if len(fields) != 5 or ":" not in fields[1] or not fields[2].lstrip("-").isdigit():
            raise ConfigError(
                f"{path}:{number}: expected 'name domain:role priority uri dispname', got {raw!r}"
            )
        entries.append(line)
    return entries


def compile_inventory(source: Path, target: Path, project: str, version: str) -> None:
    body = "\n".join(read_entries(source)) + "\n"
    header = HEADER.format(project=project, version=version) + HEADER_TAIL
    target.parent.mkdir(parents=True, exist_ok=True)
    data = header.encode() + zlib.compress(body.encode())
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)


def compile_all(app: Sphinx, config: Config) -> None:
    source_dir = Path(app.confdir) / "_inventories"
    target_dir = Path(app.doctreedir) / "_inventories"
    for name, (uri, version) in config.offline_inventories.items():
        target = target_dir / f"{name}.inv"
        compile_inventory(source_dir / f"{name}.txt", target, name, version)
        config.intersphinx_mapping[name] = (uri, str(target))


def setup(app: Sphinx) -> dict:
    app.add_config_value("offline_inventories", {}, "env", types=[dict])
    app.connect("config-inited", compile_all, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
