/* "Run in your browser" (docs/_ext/run_in_browser.py writes the control into the page, so that
 * nothing moves when this deferred script runs): it enables the button, and loads run-ui.js,
 * run.css and the runtime only when the reader asks; once asked, later pages start it. */
"use strict";
(() => {
  const script = document.currentScript;
  const control = document.querySelector(".run-control");
  if (!control) return;
  const button = control.querySelector(".run-start");
  const run = (window.guideRun = {
    control,
    strings: { note: control.querySelector(".run-status").textContent },
    base: new URL(".", script.src).href,
    runtime: new URL("../../_runtime/", script.src).href,
    remembered: () => {
      try {
        return localStorage.getItem("guide-run") === "on";
      } catch (blocked) {
        return false;
      }
    },
    load() {
      run.loading ||= new Promise((resolve, reject) => {
        const style = document.createElement("link");
        style.rel = "stylesheet";
        style.href = run.base + "run.css";
        document.head.append(style);
        const ui = document.createElement("script");
        ui.src = run.base + "run-ui.js";
        ui.onload = resolve;
        ui.onerror = reject;
        document.head.append(ui);
      });
      return run.loading.then(() => run.activate());
    },
  });
  button.disabled = false;
  button.addEventListener("click", () => run.load());
  if (run.remembered()) run.load();
})();
