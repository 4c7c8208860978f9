// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // One tap, one submission: disable the button once the form is sent.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
  // Character counter for text answers.
  document.querySelectorAll("textarea[data-count]").forEach(function (area) {
    var counter = area.parentNode.querySelector("[data-counter]");
    if (!counter) { return; }
    area.addEventListener("input", function () { counter.textContent = area.value.length; });
  });
  // Waiting page: poll the status and reload once it changes.
  var waiting = document.querySelector("[data-poll]");
  if (waiting) {
    var url = waiting.getAttribute("data-poll");
    var delay = 1500;
    var poll = function () {
      var request = new XMLHttpRequest();
      request.open("GET", url, true);
      request.onload = function () {
        try {
          var data = JSON.parse(request.responseText);
          if (data.status !== "queued" && data.status !== "running") { location.reload(); return; }
        } catch (e) { /* keep polling */ }
        delay = Math.min(delay * 1.3, 5000);
        setTimeout(poll, delay);
      };
      request.onerror = function () { delay = Math.min(delay * 2, 10000); setTimeout(poll, delay); };
      request.send();
    };
    setTimeout(poll, delay);
  }
})();
