/* The reader's Python: Pyodide in a (module) Web Worker, so that the page never freezes.
 *
 * Started by the page (_static/run-ui.js) from the site's one copy of the runtime,
 * _runtime/ at the site's root. manifest.json (written by assemble.py) lists the files with
 * their sizes; they are fetched first with a byte count, so that the page can show progress,
 * and the service worker (sw.js) keeps them for the next page.
 *
 * Messages in:  {type: "start"} | {type: "run", blocks: [{text, code}]} | {type: "restart"}
 *               | {type: "count", texts} (how many examples each block holds)
 * Messages out: {type: "progress", loaded, total} | {type: "starting"} (all fetched)
 *               | {type: "ready", python, sqlalchemy}
 *               | {type: "result", verdicts} | {type: "error", message}
 */
let python = null;
let page = null;
let runner = null;

async function fetchCounted(names, sizes, report) {
  const total = names.reduce((sum, name) => sum + sizes[name], 0);
  let loaded = 0;
  report(loaded, total);
  for (const name of names) {
    const response = await fetch(name);
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.length;
      report(loaded, total);
    }
  }
}

async function start() {
  const manifest = await (await fetch("manifest.json", { cache: "no-cache" })).json();
  const sizes = Object.fromEntries(manifest.files.map((f) => [f.name, f.size]));
  await fetchCounted(manifest.files.map((f) => f.name), sizes, (loaded, total) =>
    postMessage({ type: "progress", loaded, total }),
  );
  postMessage({ type: "starting" });
  const { loadPyodide } = await import("./pyodide.mjs");
  python = await loadPyodide({ indexURL: new URL(".", self.location.href).href });
  await python.loadPackage(manifest.wheels, { messageCallback: () => {} });
  python.FS.writeFile("/home/pyodide/runner.py", await (await fetch("runner.py")).text());
  python.runPython("import sys; sys.path.insert(0, '/home/pyodide')");
  runner = python.pyimport("runner");
  page = runner.Page();
  postMessage({
    type: "ready",
    python: python.runPython("import sys; sys.version.split()[0]"),
    sqlalchemy: python.runPython("import sqlalchemy; sqlalchemy.__version__"),
  });
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "start") await start();
    else if (message.type === "restart") page.restart();
    else if (message.type === "run") {
      const verdicts = page.run(python.toPy(message.blocks));
      postMessage({ type: "result", verdicts: verdicts.toJs({ dict_converter: Object.fromEntries }) });
      verdicts.destroy();
    } else if (message.type === "count") {
      const counts = runner.count(python.toPy(message.texts));
      postMessage({ type: "result", verdicts: counts.toJs() });
      counts.destroy();
    }
  } catch (error) {
    postMessage({ type: "error", message: String(error && error.message ? error.message : error) });
  }
};
