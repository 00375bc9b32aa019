"""Put the browser runtime into a built site: ``python docs/_runtime/assemble.py SITE WHEELS``.

One copy at the site's root, ``SITE/_runtime/``, serves both languages: Pyodide from npm
(``node_modules/pyodide``, pinned in package-lock.json), the pure-Python wheels it loads
(SQLAlchemy and what SQLAlchemy needs, from uv.lock: ``nox -s docs`` downloads them into WHEELS),
the worker, the service worker and ``runner.py``. ``manifest.json`` lists every file the worker
fetches, with its size, for the progress bar; the service worker's cache is named after a digest
of them all, so a changed runtime replaces the cached one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
PYODIDE = HERE / "node_modules" / "pyodide"
#: Pyodide's files that a start fetches (the rest of the npm package is for Node and typing).
PYODIDE_FILES = [
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
]
OWN_FILES = ["worker.js", "runner.py"]


def assemble(site: Path, wheels: Path) -> Path:
    if not (PYODIDE / "package.json").is_file():
        sys.exit(f"{PYODIDE} is missing: run `npm ci --prefix {HERE}` (nox -s docs does)")
    found = sorted(wheels.glob("*.whl"))
    if not any(w.name.lower().startswith("sqlalchemy-") for w in found):
        sys.exit(f"no SQLAlchemy wheel in {wheels} (nox -s docs downloads it)")
    out = site / "_runtime"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sources = [PYODIDE / name for name in PYODIDE_FILES] + found + [HERE / n for n in OWN_FILES]
    digest = hashlib.sha256()
    for source in sources:
        shutil.copyfile(source, out / source.name)
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    version = digest.hexdigest()[:16]
    sw = (HERE / "sw.js").read_text(encoding="utf-8").replace("RUNTIME_VERSION", version)
    (out / "sw.js").write_text(sw, encoding="utf-8")
    pyodide = json.loads((PYODIDE / "package.json").read_text(encoding="utf-8"))["version"]
    manifest = {
        "version": version,
        "pyodide": pyodide,
        "files": [{"name": s.name, "size": s.stat().st_size} for s in sources],
        "wheels": [w.name for w in found],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.splitlines()[0])
    where = assemble(Path(sys.argv[1]), Path(sys.argv[2]))
    size = sum(f.stat().st_size for f in where.iterdir())
    print(f"browser runtime: {where} ({size / 2**20:.1f} MB)")
