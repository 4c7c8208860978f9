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
  // Photo question: preview the chosen picture, keep only one of the two inputs, refuse oversized files early.
  document.querySelectorAll("[data-photo]").forEach(function (box) {
    box.classList.add("js");
    var inputs = box.querySelectorAll("input[type=file]");
    var preview = box.querySelector("[data-preview]");
    var empty = box.querySelector("[data-empty]");
    var max = parseInt(box.getAttribute("data-max-bytes"), 10) || 0;
    var alert = function (text) {
      var old = box.parentNode.querySelector(".error");
      if (old) { old.parentNode.removeChild(old); }
      if (!text) { return; }
      var p = document.createElement("p");
      p.className = "error"; p.setAttribute("role", "alert"); p.textContent = text;
      box.parentNode.insertBefore(p, box);
    };
    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) { return; }
        inputs.forEach(function (other) { if (other !== input) { other.value = ""; } });
        if (max && file.size > max) { input.value = ""; alert(box.getAttribute("data-too-large")); return; }
        alert("");
        preview.onerror = function () {
          preview.hidden = true; empty.hidden = false;
          empty.querySelector("[data-empty-text]").textContent = file.name;
        };
        preview.src = URL.createObjectURL(file);
        preview.hidden = false; empty.hidden = true;
      });
    });
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
