/* 工作人员控制台 — progressive enhancement only: every page works without this file
   (the counter chat falls back to a plain form POST, the entity search to a GET). */
(function () {
  "use strict";

  function csrfToken(form) {
    var field = (form && form.querySelector('input[name="csrf_token"]')) || document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function showError(text) {
    var box = document.getElementById("error");
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
  }

  /* A JSON answer of the console; a 401 carries the login URL (session expired). */
  function handleJson(resp) {
    return resp.json().catch(function () { return {}; }).then(function (data) {
      if (resp.status === 401 && data.error && data.error.login) {
        window.location.assign(data.error.login);
        throw new Error("login");
      }
      return { ok: resp.ok, status: resp.status, data: data };
    });
  }

  /* Forms marked data-confirm="…" ask before submitting (e.g. disabling an account). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); event.stopImmediatePropagation(); }
    }
  }, true);

  /* ---- 柜台助手: chat pane ---- */
  var chatForm = document.getElementById("chat-form");
  var log = document.getElementById("chat-log");
  var input = document.getElementById("chat-input");
  var historyField = document.getElementById("chat-history");
  var usccField = document.getElementById("chat-uscc");
  var panel = document.getElementById("entity-panel");
  var lastClicked = null;
  var busy = false;
  var WHO = { user: "我", bot: "智能助手", system: "系统" };

  function history() {
    try { return JSON.parse(historyField.value || "[]"); } catch (e) { return []; }
  }

  function remember(message) {
    var items = history();
    items.push(message);
    historyField.value = JSON.stringify(items.slice(-40));
  }

  function appendMessage(message) {
    var empty = document.getElementById("chat-empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.className = "from-" + message.who;
    var who = document.createElement("span");
    who.className = "msg-who";
    who.textContent = WHO[message.who] || "";
    var body = document.createElement("div");
    body.className = "msg msg-" + message.who;
    body.textContent = message.text || "";
    li.appendChild(who);
    li.appendChild(body);
    if (message.buttons && message.buttons.length) {
      var group = document.createElement("div");
      group.className = "msg-buttons";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "可选回复");
      message.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "submit";
        button.name = "choice";
        button.value = b.payload;
        button.className = "button button-quiet button-small chat-choice";
        button.setAttribute("data-title", b.title);
        button.textContent = b.title;
        group.appendChild(button);
      });
      li.appendChild(group);
    }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function send(text, display) {
    if (busy) { return; }
    text = (text || "").trim();
    if (!text) { showError("请输入要发送的内容。"); input.focus(); return; }
    busy = true;
    showError("");
    var sent = { who: "user", text: display || text, buttons: [] };
    appendMessage(sent);
    var waiting = appendMessage({ who: "system", text: "智能助手正在回复……", buttons: [] });
    chatForm.setAttribute("aria-busy", "true");
    var body = new URLSearchParams();
    body.set("csrf_token", csrfToken(chatForm));
    body.set("message", text);
    body.set("display", display || "");
    body.set("uscc", usccField ? usccField.value : "");
    fetch("/counter/message", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken(chatForm) },
      body: body
    }).then(handleJson).then(function (result) {
      waiting.remove();
      remember(sent);
      if (!result.ok) {
        showError((result.data.error && result.data.error.message) || "发送失败，请稍后重试。");
        return;
      }
      (result.data.messages || []).forEach(function (m) { appendMessage(m); remember(m); });
      if (result.data.uscc) { loadEntity("uscc=" + encodeURIComponent(result.data.uscc)); }
    }).catch(function (err) {
      waiting.remove();
      if (err && err.message === "login") { return; }
      showError("网络异常，消息可能未送达，请稍后重试。");
    }).then(function () {
      busy = false;
      chatForm.removeAttribute("aria-busy");
      input.focus();
    });
  }

  if (chatForm && log && input && historyField) {
    chatForm.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("button") : null;
      lastClicked = target;
    });
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter || lastClicked;
      lastClicked = null;
      if (submitter && submitter.classList.contains("chat-choice")) {
        send(submitter.value, submitter.getAttribute("data-title"));
      } else {
        var text = input.value;
        input.value = "";
        send(text, "");
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (typeof chatForm.requestSubmit === "function") { chatForm.requestSubmit(document.getElementById("chat-send")); }
        else { var text = input.value; input.value = ""; send(text, ""); }
      }
    });
    log.scrollTop = log.scrollHeight;
  }

  /* ---- 柜台助手: entity panel (search and links load the panel in place) ---- */
  function loadEntity(query, moveFocus) {
    if (!panel) { return; }
    panel.setAttribute("aria-busy", "true");
    fetch("/counter/entity?fragment=1&" + query, {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (resp) {
      if (resp.redirected && resp.url.indexOf("/login") !== -1) { window.location.assign(resp.url); return null; }
      return resp.text();
    }).then(function (html) {
      if (html === null) { return; }
      panel.innerHTML = html;
      var detail = document.getElementById("entity-detail");
      if (moveFocus) {
        var heading = document.getElementById("entity-name") || document.getElementById("entity-error") || document.getElementById("entity-query");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      }
      if (detail && usccField) {
        usccField.value = detail.getAttribute("data-uscc") || "";
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "/counter?uscc=" + encodeURIComponent(usccField.value));
        }
      }
    }).catch(function () {
      showError("主体信息加载失败，请稍后重试。");
    }).then(function () {
      panel.removeAttribute("aria-busy");
    });
  }

  if (panel && chatForm) {
    panel.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.id !== "entity-search-form") { return; }
      event.preventDefault();
      var q = form.querySelector('input[name="q"]').value.trim();
      loadEntity("q=" + encodeURIComponent(q), true);
    });
    panel.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.entity-link") : null;
      if (!link) { return; }
      event.preventDefault();
      loadEntity("uscc=" + encodeURIComponent(link.getAttribute("data-uscc")), true);
    });
  }

  window.Console = { csrfToken: csrfToken, showError: showError };
})();
