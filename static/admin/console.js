/* Marketer console: refresh a live part (overview, proof sheet progress) from its JSON twin until it says stop;
   confirm risky buttons. No dependencies. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  var live = document.getElementById("live");
  if (!live || !window.fetch || !live.getAttribute("data-poll")) { return; }
  var url = live.getAttribute("data-poll");
  var stopped = false;
  var every = Math.max(2, parseInt(live.getAttribute("data-every"), 10) || 5) * 1000;
  var timer = null;
  function schedule() { timer = window.setTimeout(poll, every); }
  function poll() {
    if (document.hidden) { schedule(); return; }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        live.innerHTML = data.html; live.removeAttribute("data-stale");
        if (data.stop) {
          stopped = true;
          Array.prototype.forEach.call(document.querySelectorAll("[data-live-disabled]"), function (button) {
            button.disabled = false;
          });
        }
      })
      .catch(function () { live.setAttribute("data-stale", "1"); })
      .then(function () { if (!stopped) { schedule(); } });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer && !stopped) { window.clearTimeout(timer); poll(); }
  });
  schedule();
})();
