// Job page: poll the job's state while it runs, move the progress bar, reload when it is done.
(function () {
  "use strict";
  var section = document.querySelector("[data-job-status-url]");
  if (!section || section.dataset.jobFinished === "true") {
    return;
  }
  var url = section.dataset.jobStatusUrl;
  var bar = section.querySelector(".job-progress");
  var fill = bar.querySelector(".progress-bar");
  var stateLabel = section.querySelector(".job-state-label");
  var step = section.querySelector(".job-step");
  var percent = section.querySelector(".job-percent");
  var delay = 1000;
  var lastAnnounced = -1;

  function show(status) {
    bar.setAttribute("aria-valuenow", String(status.progress));
    fill.style.width = status.progress + "%";
    stateLabel.textContent = status.state_label;
    step.textContent = status.step || "";
    // Announce in steps of 10 % so that a screen reader is not flooded.
    var tens = Math.floor(status.progress / 10);
    if (tens !== lastAnnounced) {
      lastAnnounced = tens;
      percent.textContent = status.progress + " %";
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The server may be restarting: try again, less often.
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, 500);
})();
