"""The browser part of ``nox -s bench``: "Run in your browser" against the bare runtime.

The built site (``nox -s docs``) is served on 127.0.0.1 and opened in Debian's Chromium, driven
by Playwright. The floor is the bare runtime's own start, measured in the same browser and the
same round: a page of the bench's own starts a module Web Worker that does ``loadPyodide()``,
``loadPackage()`` of the runtime's wheels and ``import sqlalchemy``, from the site's
``_runtime/``, once in a fresh browser context (cold: nothing cached), then again in the same
context (warm: the files in the HTTP cache). Targets:

- (f) cold: in a fresh context, from the click on "Run the examples in your browser" on
  en/core/engine.html to the verdict of the first example (its Run button clicked as soon as it
  exists) ÷ the bare cold start: ≤ 1.5×;
- (g) warm: in the same context, en/session/basics.html, which starts the runtime by itself (the
  reader started it once), from its load event to the verdict of the first example ÷ the bare
  warm start: ≤ 1.0×; the same page not started beforehand (from the click) is printed too,
  with where the time goes, read from the status line's changes;
- the runtime's transfer: every file of ``_runtime/manifest.json``, gzip-compressed at level 6
  as a static server sends it: ≤ 15 MB.

Times are taken inside the page (``performance.now()``), not by the driver. Run it alone with
``python -m tests.bench_browser`` in a virtualenv that has Playwright (``.nox/browser``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.browser.tab import CHROMIUM, CHROMIUM_ARGS, RecordingHandler, new_context
from tests.serving import serving
from tests.site.page_weight import gzip_size, raw_size

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "site"
COLD_PAGE = "en/core/engine.html"
WARM_PAGE = "en/session/basics.html"
MB = 2**20  # as the page counts them ("Loading Python: 3.2 of 14.9 MB")
COLD_TARGET, WARM_TARGET, TRANSFER_TARGET = 1.5, 1.0, 15
WAIT = 180_000  # ms: the most a start may take before the bench gives up

#: The floor: the runtime's files, started in a module worker as _runtime/worker.js starts them.
BARE_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>Bare runtime start</title>
<script>
  function bareStart() {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const worker = new Worker("worker.js", { type: "module" });
      worker.onmessage = ({ data }) => {
        worker.terminate();
        if (data.error) reject(new Error(data.error));
        else resolve({ ...data.phases, total: performance.now() - start });
      };
      worker.onerror = (event) => reject(new Error(event.message || "worker"));
    });
  }
</script>
"""
BARE_WORKER = """const runtime = new URL("../_runtime/", self.location.href).href;
const wheels = WHEELS;
const phases = {};
let last = performance.now();
const lap = (name) => {
  const now = performance.now();
  phases[name] = now - last;
  last = now;
};
try {
  const { loadPyodide } = await import(runtime + "pyodide.mjs");
  lap("import pyodide.mjs");
  const python = await loadPyodide({ indexURL: runtime });
  lap("loadPyodide");
  await python.loadPackage(wheels.map((name) => runtime + name), { messageCallback: () => {} });
  lap("loadPackage");
  python.runPython("import sqlalchemy");
  lap("import sqlalchemy");
  postMessage({ phases });
} catch (error) {
  postMessage({ error: String(error) });
}
"""

#: Added to every site page before its own scripts: ``guideBench`` resolves to the times
#: (performance.now(), ms) of the click on the start button or the load event, of the status
#: line's changes, of the click on the first Run button (made as soon as it exists, once the
#: page has loaded) and of its verdict.
OBSERVER = """(() => {
  const marks = {};
  const mark = (name) => {
    if (!(name in marks)) marks[name] = performance.now();
  };
  let loaded = false;
  let button = null;
  window.guideBench = new Promise((resolve, reject) => {
    const look = () => {
      if (document.querySelector("script[src$='run-ui.js']")) mark("asked");
      const status = document.querySelector(".run-control .run-status");
      const text = status ? status.textContent : "";
      if (text.startsWith("Loading Python")) mark("fetching");
      else if (text.startsWith("Starting Python")) mark("fetching" in marks ? "fetched" : "worker");
      else if (/^Python \\d/.test(text)) mark("ready");
      if (!loaded) return;
      if (!button) {
        button = document.querySelector(".run-block .run-button");
        if (button) {
          mark("run");
          button.click();
        }
      } else if (button.closest(".run-block").querySelector(".run-verdict")) {
        mark("verdict");
        observer.disconnect();
        resolve(marks);
      }
    };
    const observer = new MutationObserver(look);
    observer.observe(document, { childList: true, subtree: true, characterData: true });
    addEventListener("load", () => {
      mark("load");
      loaded = true;
      look();
    });
    addEventListener("click", (event) => {
      if (event.target instanceof Element && event.target.closest(".run-start")) mark("click");
    }, true);
    setTimeout(() => {
      const status = document.querySelector(".run-control .run-status");
      reject(new Error(`no result: ${status && status.textContent}`));
    }, WAIT);
  });
})();
""".replace("WAIT", str(WAIT))

#: The phases of a start, between two marks of OBSERVER, as the status line shows them.
PHASES = {
    "run-ui.js, service worker": ("asked", "worker"),
    "worker, manifest": ("worker", "fetching"),
    "runtime files read": ("fetching", "fetched"),
    "loadPyodide, loadPackage, runner": ("fetched", "ready"),
    "Run buttons, first example run": ("ready", "verdict"),
}
BARE_PHASES = ("import pyodide.mjs", "loadPyodide", "loadPackage", "import sqlalchemy")


def transfer(site: Path) -> tuple[int, int]:
    """The runtime's bytes as a static server sends them (gzip, level 6), and as stored."""
    manifest = json.loads((site / "_runtime" / "manifest.json").read_text(encoding="utf-8"))
    files = [site / "_runtime" / f["name"] for f in manifest["files"]]
    return sum(gzip_size(f) for f in files), sum(raw_size(f) for f in files)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site and the bench's bare page, on one origin: ``bare/`` next to ``_runtime/``."""
    manifest = json.loads((site / "_runtime" / "manifest.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="guide-bench-browser-") as scratch:
        root = Path(scratch)
        for name in ("en", "_runtime"):
            (root / name).symlink_to(site / name, target_is_directory=True)
        (root / "bare").mkdir()
        (root / "bare" / "index.html").write_text(BARE_PAGE, encoding="utf-8")
        worker = BARE_WORKER.replace("WHEELS", json.dumps(manifest["wheels"]))
        (root / "bare" / "worker.js").write_text(worker, encoding="utf-8")
        handler = type("Handler", (RecordingHandler,), {"log": []})
        with serving(scratch, handler) as url:
            yield url


def bare_starts(browser: Browser, url: str) -> dict[str, dict]:
    """The bare start in a fresh context (cold), then again in the same context (warm)."""
    context = new_context(browser)
    try:
        page = context.new_page()
        starts = {}
        for name in ("bare cold", "bare warm"):
            page.goto(f"{url}/bare/index.html")
            starts[name] = page.evaluate("bareStart()")
        return starts
    finally:
        context.close()


def site_starts(browser: Browser, url: str) -> tuple[dict, dict, dict]:
    """The marks of OBSERVER: cold, warm (the page starts it at load) and warm from the click."""
    context = new_context(browser)
    context.add_init_script(OBSERVER)
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT)
        page.goto(f"{url}/{COLD_PAGE}")
        page.click(".run-start")
        cold = page.evaluate("guideBench")
        page.goto(f"{url}/{WARM_PAGE}")  # remembered: it starts the runtime as it opens
        warm = page.evaluate("guideBench")
        page.evaluate("localStorage.removeItem('guide-run')")  # as if never started
        page.goto(f"{url}/{WARM_PAGE}")
        page.click(".run-start")
        unstarted = page.evaluate("guideBench")
        return cold, warm, unstarted
    finally:
        context.close()


def measure(site: Path, runs: int) -> dict[str, float]:
    """The median over ``runs`` rounds of every figure (seconds); each round takes them all."""
    samples: dict[str, list[float]] = {}
    with serve(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                figures = {}
                for name, start in bare_starts(browser, url).items():
                    figures.update({f"{name}: {phase}": ms for phase, ms in start.items()})
                cold, warm, unstarted = site_starts(browser, url)
                figures["cold"] = cold["verdict"] - cold["click"]
                figures["warm"] = warm["verdict"] - warm["load"]
                figures["warm, started before the load event"] = warm["load"] - warm["asked"]
                figures["unstarted"] = unstarted["verdict"] - unstarted["click"]
                for name, marks in (("cold", cold), ("warm", warm), ("unstarted", unstarted)):
                    for phase, (begin, end) in PHASES.items():
                        figures[f"{name}: {phase}"] = marks[end] - marks[begin]
                for name, ms in figures.items():
                    samples.setdefault(name, []).append(ms / 1000)
        finally:
            browser.close()
    return {name: statistics.median(sample) for name, sample in samples.items()}


def ratio_line(label: str, time: float, floor_label: str, floor: float, target: float) -> bool:
    ratio = time / floor
    verdict = "within" if ratio <= target else "OVER"
    print(f"{label}: {time:.2f} s ÷ {floor_label} {floor:.2f} s = {ratio:.2f}× "
          f"(target ≤ {target:.1f}×)  {verdict}")  # fmt: skip
    return ratio <= target


def breakdown(times: dict[str, float], name: str, phases: Iterable[str]) -> str:
    return ", ".join(f"{phase} {times[f'{name}: {phase}']:.2f} s" for phase in phases)


def report(times: dict[str, float]) -> bool:
    within = ratio_line(
        "(f) click → first result, cold", times["cold"],
        "bare start", times["bare cold: total"], COLD_TARGET,
    )  # fmt: skip
    within &= ratio_line(
        "(g) page load → first result, warm (started at load)", times["warm"],
        "bare start from the HTTP cache", times["bare warm: total"], WARM_TARGET,
    )  # fmt: skip
    unstarted = times["unstarted"]
    print(f"    warm, not started beforehand, click → first result: {unstarted:.2f} s "
          f"({unstarted / times['bare warm: total']:.2f}× the bare warm start)")  # fmt: skip
    print("    where the time goes:")
    for name, label in (("cold", "cold"), ("warm", "warm"), ("unstarted", "warm, from the click")):
        print(f"      {label}: {breakdown(times, name, PHASES)}")
    print(f"      (warm: started {times['warm, started before the load event']:.2f} s "
          "before the load event)")  # fmt: skip
    for name in ("bare cold", "bare warm"):
        print(f"      {name}: {breakdown(times, name, BARE_PHASES)} "
              f"(total with the worker {times[f'{name}: total']:.2f} s)")  # fmt: skip
    return within


def run(site: Path = SITE, runs: int = 3) -> bool:
    """Print the runtime's transfer and the browser ratios; False when one is over target."""
    if not (site / "_runtime" / "manifest.json").is_file():
        print(f"browser measures skipped: no browser runtime in {site} (run `nox -s docs`)")
        return True
    gzipped, raw = transfer(site)
    within = gzipped / MB <= TRANSFER_TARGET
    print(f"runtime transfer: {gzipped / MB:.1f} MB gzip ({raw / MB:.1f} MB raw) "
          f"(target ≤ {TRANSFER_TARGET} MB)  {'within' if within else 'OVER'}")  # fmt: skip
    if not CHROMIUM.is_file():
        print(f"browser measures (f), (g) skipped: no {CHROMIUM} (apt-get install chromium)")
        return within
    return report(measure(site, runs)) and within


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="the built site (nox -s docs)")
    parser.add_argument("--runs", type=int, default=3, help="rounds per figure (median kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over target")
    args = parser.parse_args(argv)
    within = run(args.site.resolve(), args.runs)
    return 0 if within or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
