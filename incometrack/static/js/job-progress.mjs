// A job's progress page follows the job without reloading: every two seconds it asks the
// server how far the job has got and moves the bar; when the job has ended it reloads once, to
// show the file or the reason. Without JavaScript the page's "Check progress again" link does.
const INTERVAL_MS = 2000;

function follow(root) {
  const url = root.dataset.statusUrl;
  const bar = root.querySelector("progress");
  const status = root.querySelector("#job-status");
  const number = new Intl.NumberFormat("en-GB");
  async function poll() {
    let state;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return setTimeout(poll, INTERVAL_MS * 2);
      state = await response.json();
    } catch {
      return setTimeout(poll, INTERVAL_MS * 2);
    }
    if (state.finished) {
      window.location.assign(state.page);
      return;
    }
    if (bar && state.total) {
      bar.max = state.total;
      bar.value = state.done;
      bar.textContent = `${state.percent}%`;
    }
    if (status) {
      status.textContent = `${state.label}: ${number.format(state.done)} of ${number.format(state.total)} rows (${state.percent}%).`;
    }
    setTimeout(poll, INTERVAL_MS);
  }
  setTimeout(poll, INTERVAL_MS);
}

export function initJobProgress() {
  for (const root of document.querySelectorAll('[data-module="app-job-progress"][data-finished="false"]')) {
    follow(root);
  }
}
