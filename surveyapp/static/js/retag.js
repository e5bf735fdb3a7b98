// The re-tag progress page: poll the job's JSON every two seconds and move the <progress>
// bar; once the job is over, reload the page to show its result. Without JavaScript the
// page refreshes itself (a <noscript> meta refresh) instead.
"use strict";

(() => {
  const panel = document.querySelector("[data-progress-url]");
  if (!panel || panel.dataset.finished === "true") {
    return;
  }
  const bar = panel.querySelector("progress");
  const status = panel.querySelector("[data-field='status']");
  const counts = panel.querySelector("[data-field='counts']");

  async function poll() {
    let job;
    try {
      const response = await fetch(panel.dataset.progressUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      job = await response.json();
    } catch {
      // A network hiccup: try again a little later.
      window.setTimeout(poll, 5000);
      return;
    }
    if (job.finished) {
      window.location.reload();
      return;
    }
    if (bar) {
      bar.max = Math.max(job.total, 1);
      bar.value = job.total > 0 ? job.done : 0;
      bar.textContent = `${job.percent} %`;
    }
    // The server words both sentences in the page's language.
    if (status) {
      status.textContent = job.status_text;
    }
    if (counts) {
      counts.textContent = job.summary;
    }
    window.setTimeout(poll, 2000);
  }

  window.setTimeout(poll, 1000);
})();
