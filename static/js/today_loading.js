// The loading screen: polls the list's status once a second, moves the bar, and opens today's songs when ready.
// Without JavaScript a <noscript> meta refresh reloads the page instead.
(function () {
  "use strict";
  var box = document.getElementById("today-loading");
  if (!box || !window.fetch) return;
  var bar = document.getElementById("today-progress");
  var text = document.getElementById("today-progress-text");
  var statusUrl = box.getAttribute("data-status-url");
  var runningText = box.getAttribute("data-running-text") || "{percent}%";
  var failures = 0;

  function poll() {
    fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          // Logged out meanwhile: reloading the page sends the listener to the login page (and back here after).
          window.location.assign(box.getAttribute("data-reload-url"));
          throw new Error("logged out");
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (data.status === "ready") {
          window.location.assign(data.next || box.getAttribute("data-today-url"));
          return;
        }
        if (data.status === "failed" || data.status === "missing") {
          window.location.assign(box.getAttribute("data-reload-url"));  // the page shows the message and a retry
          return;
        }
        if (bar) bar.value = data.progress;
        if (text && data.status === "running") text.textContent = runningText.replace("{percent}", data.progress);
        setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        setTimeout(poll, Math.min(10000, 1000 * Math.pow(2, failures)));
      });
  }
  setTimeout(poll, 500);
})();
