// draftdesk review console: live countdowns, edit detection and live queue updates (SSE).
// Hand-written, no dependencies.
(function () {
  "use strict";

  var HOUR = 3600 * 1000;
  var params = new URLSearchParams(window.location.search);
  var view = params.get("view") || (window.location.pathname.indexOf("/console/conversations/") === 0 ? "attention" : "pending");
  var draftEl = document.querySelector("article.draft[data-draft-id]");
  var currentDraftId = draftEl ? draftEl.getAttribute("data-draft-id") : "";
  var submitting = false;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function describe(ms) {
    var abs = Math.abs(ms);
    var h = Math.floor(abs / HOUR);
    var m = Math.floor((abs % HOUR) / 60000);
    var s = Math.floor((abs % 60000) / 1000);
    var text = h > 0 ? h + " h " + pad(m) + " min" : m + " min " + pad(s) + " s";
    return ms >= 0 ? text + " left" : "overdue by " + text;
  }

  function tick() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var due = Date.parse(nodes[i].getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = due - now;
      nodes[i].textContent = describe(left);
      nodes[i].classList.toggle("overdue", left < 0);
      nodes[i].classList.toggle("soon", left >= 0 && left < 4 * HOUR);
    }
  }

  function watchEdits() {
    var area = document.getElementById("reply-text");
    var button = document.getElementById("approve-button");
    if (!area || !button) { return; }
    var original = area.getAttribute("data-original").replace(/\r\n/g, "\n").trim();
    function update() {
      var edited = area.value.replace(/\r\n/g, "\n").trim() !== original;
      area.classList.toggle("edited", edited);
      button.textContent = edited ? "Send edited reply" : "Approve and send";
    }
    area.addEventListener("input", update);
    update();
  }

  function markSubmitting() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function () { submitting = true; });
    }
  }

  function refreshQueue() {
    var url = "/console/queue?view=" + encodeURIComponent(view) + "&selected=" + encodeURIComponent(currentDraftId);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#queue");
        var old = document.getElementById("queue");
        if (fresh && old) {
          if (currentDraftId) {
            var link = fresh.querySelector('[data-draft-id="' + currentDraftId + '"]');
            if (link) { link.classList.add("selected"); }
          }
          old.replaceWith(fresh);
          tick();
        }
      })
      .catch(function () { /* offline for a moment: the next event or reconnect retries */ });
  }

  function showStale() {
    var banner = document.getElementById("stale-banner");
    if (banner) { banner.hidden = false; }
    var buttons = document.querySelectorAll(".reply button, .reply textarea, .reply input");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
  }

  function listen() {
    if (!window.EventSource) { window.setInterval(refreshQueue, 15000); return; }
    var source = new EventSource("/api/v1/events");
    var kinds = ["draft_created", "draft_decided", "message_received", "needs_manual_reply", "conversation_updated", "resync"];
    kinds.forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        var data = {};
        try { data = JSON.parse(event.data || "{}"); } catch (e) { data = {}; }
        if (kind === "draft_decided" && String(data.draft_id) === currentDraftId && !submitting) {
          showStale();
        }
        refreshQueue();
      });
    });
    // Events between the page's render and the stream being ready (or while it was
    // reconnecting) would be missed: each "ready" fetches the queue once.
    source.addEventListener("ready", refreshQueue);
  }

  tick();
  window.setInterval(tick, 1000);
  watchEdits();
  markSubmitting();
  if (document.getElementById("queue")) { listen(); }
})();
