/* draftdesk — knowledge-base editor: live Markdown preview (rendered and sanitised on the
   server), example-question slots, and a warning before leaving unsaved changes.
   Hand-written, no dependencies; every feature degrades to the plain form without it. */
(function () {
  "use strict";

  var form = document.getElementById("kb-editor");
  if (!form) { return; }
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // --- live preview ----------------------------------------------------------------------
  var body = document.getElementById("kb-body");
  var preview = document.getElementById("kb-preview");
  var timer = null;
  var sequence = 0;

  function refreshPreview() {
    var mine = ++sequence;
    var data = new URLSearchParams();
    data.set("body", body.value);
    preview.classList.add("is-stale");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: data.toString()
    }).then(function (response) {
      if (!response.ok) { throw new Error("preview failed: " + response.status); }
      return response.text();
    }).then(function (html) {
      // Only the newest answer counts; the server has already sanitised it.
      if (mine === sequence) {
        preview.innerHTML = html;
        preview.classList.remove("is-stale");
      }
    }).catch(function () {
      if (mine === sequence) { preview.classList.remove("is-stale"); }
    });
  }

  if (body && preview) {
    body.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refreshPreview, 250);
    });
  }

  // --- example questions: show the filled ones and one empty slot -------------------------
  var slots = Array.prototype.slice.call(form.querySelectorAll("input.kb-question"));
  var addButton = document.getElementById("kb-add-question");

  function firstHidden() {
    for (var i = 0; i < slots.length; i++) { if (slots[i].hidden) { return slots[i]; } }
    return null;
  }

  var shownEmpty = false;
  slots.forEach(function (slot) {
    if (slot.value.trim() === "") {
      if (shownEmpty) { slot.hidden = true; } else { shownEmpty = true; }
    }
  });
  if (addButton) {
    addButton.hidden = firstHidden() === null;
    addButton.addEventListener("click", function () {
      var next = firstHidden();
      if (next) {
        next.hidden = false;
        next.focus();
      }
      addButton.hidden = firstHidden() === null;
    });
  }

  // --- unsaved changes --------------------------------------------------------------------
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
