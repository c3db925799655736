// draftdesk review console: live countdowns, edit detection, live queue updates (SSE),
// keyboard shortcuts, "who is viewing" and the agent's edit kept when the buyer writes again.
// Hand-written, no dependencies.
(function () {
  "use strict";

  var HOUR = 3600 * 1000;
  var PRESENCE_EVERY = 15000;
  var params = new URLSearchParams(window.location.search);
  var view = params.get("view") || (window.location.pathname.indexOf("/console/conversations/") === 0 ? "attention" : "pending");
  var draftEl = document.querySelector("article.draft[data-draft-id]");
  var currentDraftId = draftEl ? draftEl.getAttribute("data-draft-id") : "";
  var renderedStatus = draftEl ? draftEl.getAttribute("data-status") : "";
  var conversationId = draftEl ? draftEl.getAttribute("data-conversation-id") : "";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var submitting = false;
  var replaced = false;  // the buyer wrote again: this draft was superseded

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

  // --- the agent's edit, kept per conversation until it is sent ---------------------------

  function editKey() { return "draftdesk:edit:" + conversationId; }

  function keepEdit(text) {
    if (!conversationId) { return; }
    try {
      window.sessionStorage.setItem(editKey(), JSON.stringify({ draftId: currentDraftId, text: text }));
    } catch (e) { /* storage full or disabled: the textarea still holds the text */ }
  }

  function forgetEdit() {
    try { window.sessionStorage.removeItem(editKey()); } catch (e) { /* nothing kept */ }
  }

  function offerEarlierEdit(area) {
    // An edit of this conversation's replaced draft: shown beside the new draft, one click
    // puts it back in the text box.
    var kept = null;
    try { kept = JSON.parse(window.sessionStorage.getItem(editKey()) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.text || kept.draftId === currentDraftId) { return; }
    var box = document.getElementById("earlier-edit");
    var text = document.getElementById("earlier-edit-text");
    var use = document.getElementById("use-earlier-edit");
    if (!box || !text || !use) { return; }
    text.textContent = kept.text;
    box.hidden = false;
    use.addEventListener("click", function () {
      area.value = kept.text;
      area.dispatchEvent(new Event("input"));
      box.hidden = true;
      area.focus();
    });
  }

  function watchEdits() {
    var area = document.getElementById("reply-text");
    var button = document.getElementById("approve-button");
    if (!area || !button) { return; }
    var original = area.getAttribute("data-original").replace(/\r\n/g, "\n").trim();
    function update() {
      var edited = area.value.replace(/\r\n/g, "\n").trim() !== original;
      area.classList.toggle("edited", edited);
      if (!replaced) { button.textContent = edited ? "Send edited reply" : "Approve and send"; }
      if (edited) { keepEdit(area.value); }
    }
    area.addEventListener("input", update);
    update();
    offerEarlierEdit(area);
    var form = document.getElementById("approve-form");
    if (form) { form.addEventListener("submit", forgetEdit); }
  }

  function markSubmitting() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function () { submitting = true; });
    }
  }

  // --- the conversation opens at its newest message ---------------------------------------

  function showNewest() {
    var list = document.getElementById("messages");
    if (list) { list.scrollTop = list.scrollHeight; }
  }

  // --- live queue ---------------------------------------------------------------------------

  function refreshQueue() {
    var query = new URLSearchParams(window.location.search);
    query.set("view", view);
    query.set("selected", currentDraftId);
    query.delete("done");
    fetch("/console/queue?" + query.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
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

  function showWroteAgain() {
    // Not "someone else decided": the buyer added a message and a new draft is on its way.
    // The text box stays as it is (the edit is kept and offered on the new draft); only
    // the decisions on this replaced draft are switched off.
    replaced = true;
    var banner = document.getElementById("wrote-again-banner");
    if (banner) { banner.hidden = false; }
    var area = document.getElementById("reply-text");
    if (area && area.classList.contains("edited")) { keepEdit(area.value); }
    var buttons = document.querySelectorAll(".reply button, .reply input[type=text]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
  }

  function linkNewDraft(draftId) {
    var link = document.getElementById("new-draft-link");
    var waiting = document.getElementById("new-draft-waiting");
    if (!link) { return; }
    var query = new URLSearchParams(window.location.search);
    query.delete("done");
    link.href = "/console/drafts/" + encodeURIComponent(draftId) + "?" + query.toString();
    link.hidden = false;
    if (waiting) { waiting.hidden = true; }
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
          if (data.status === "superseded") { showWroteAgain(); } else { showStale(); }
        }
        if (kind === "draft_created" && replaced && data.conversation_id === conversationId) {
          linkNewDraft(data.draft_id);
        }
        refreshQueue();
      });
    });
    // Events between the page's render and the stream being ready (or while it was
    // reconnecting) would be missed: each "ready" fetches the queue once and asks for this
    // draft's status (a decision taken meanwhile shows the same banner as its event).
    source.addEventListener("ready", function () { refreshQueue(); heartbeat(); });
  }

  // --- who is viewing ------------------------------------------------------------------------

  function showPresence(state) {
    var holder = document.getElementById("viewers");
    if (!holder) { return; }
    var names = (state.viewers || []).map(function (name) { return name + " is viewing"; });
    // A status region: touched only when who is viewing changed, so it is not re-announced.
    if (holder.textContent === names.join("")) { return; }
    holder.textContent = "";
    (state.viewers || []).forEach(function (name) {
      var badge = document.createElement("span");
      badge.className = "badge badge-viewing";
      badge.textContent = name + " is viewing";
      holder.appendChild(badge);
    });
  }

  function noticeDecision(status) {
    if (!status || status === renderedStatus || replaced || submitting) { return; }
    if (status === "superseded") { showWroteAgain(); } else { showStale(); }
  }

  function heartbeat() {
    if (!currentDraftId || replaced || !document.getElementById("viewers")) { return; }
    fetch("/console/drafts/" + encodeURIComponent(currentDraftId) + "/presence", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) { if (state) { showPresence(state); noticeDecision(state.status); } })
      .catch(function () { /* the next beat retries */ });
  }

  function watchPresence() {
    if (!currentDraftId || !document.getElementById("viewers")) { return; }
    window.setInterval(heartbeat, PRESENCE_EVERY);
    window.addEventListener("pagehide", function () {
      if (!navigator.sendBeacon) { return; }
      var form = new FormData();
      form.append("csrf_token", csrf);
      navigator.sendBeacon("/console/drafts/" + encodeURIComponent(currentDraftId) + "/presence?leaving=true", form);
    });
  }

  // --- keyboard shortcuts ----------------------------------------------------------------------

  function typingIn(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName;
    return tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || target.isContentEditable;
  }

  function moveInQueue(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll("#queue .queue-item"));
    if (!items.length) { return; }
    var at = -1;
    for (var i = 0; i < items.length; i++) { if (items[i].classList.contains("selected")) { at = i; } }
    var next = at === -1 ? 0 : Math.min(items.length - 1, Math.max(0, at + step));
    if (next !== at) { window.location.assign(items[next].href); }
  }

  function approve() {
    var form = document.getElementById("approve-form");
    var button = document.getElementById("approve-button");
    if (!form || !button || button.disabled) { return; }
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  }

  function startRejecting() {
    var more = document.getElementById("more-actions");
    var reason = document.getElementById("reject-reason");
    if (!more || !reason) { return; }
    more.open = true;
    reason.focus();
  }

  function editReply() {
    var area = document.getElementById("reply-text");
    if (!area || area.disabled) { return; }
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }

  // --- canned replies: inserted where the caret is (replacing a selection) -----------------

  function insertCanned() {
    var select = document.getElementById("canned-reply");
    var area = document.getElementById("reply-text");
    if (!select || !area || area.disabled || !select.value) { return; }
    var text = select.options[select.selectedIndex].getAttribute("data-text") || "";
    // Where the agent left the caret; never in the box yet: at the end.
    var touched = area.getAttribute("data-caret-set") === "1";
    var start = touched ? area.selectionStart : area.value.length;
    var end = touched ? area.selectionEnd : area.value.length;
    area.setRangeText(text, start, end, "end");
    area.dispatchEvent(new Event("input"));
    select.value = "";
    area.focus();
  }

  function watchCanned() {
    var select = document.getElementById("canned-reply");
    var button = document.getElementById("insert-canned");
    if (!select || !button) { return; }
    button.addEventListener("click", insertCanned);
    var area = document.getElementById("reply-text");
    if (area) { area.addEventListener("focus", function () { area.setAttribute("data-caret-set", "1"); }); }
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); insertCanned(); }
    });
  }

  function onKey(event) {
    var help = document.getElementById("shortcuts-help");
    if (help && help.open) { return; }  // the dialog handles its own keys (Esc closes it)
    if (typingIn(event.target)) {
      if (event.target.id === "reply-text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        approve();
      } else if (event.key === "Escape") {
        event.target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var actions = { j: function () { moveInQueue(1); }, k: function () { moveInQueue(-1); },
                    a: approve, e: editReply, r: startRejecting,
                    m: function () { var s = document.getElementById("canned-reply"); if (s) { s.focus(); } },
                    "?": function () { if (help && help.showModal) { help.showModal(); } } };
    var action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  tick();
  window.setInterval(tick, 1000);
  showNewest();
  watchEdits();
  markSubmitting();
  watchPresence();
  watchCanned();
  document.addEventListener("keydown", onKey);
  if (document.getElementById("queue")) { listen(); }
})();
