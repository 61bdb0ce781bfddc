/* 人工服务: new messages of the open conversation appear without reloading (a small poll).
   Progressive enhancement only: without JavaScript the page offers a refresh link. */
(function () {
  "use strict";
  var list = document.getElementById("transcript");
  if (!list || !window.fetch) { return; }
  var url = list.getAttribute("data-poll-url");
  var lastId = parseInt(list.getAttribute("data-last-id") || "0", 10);
  var status = list.getAttribute("data-status");
  var seconds = parseInt(list.getAttribute("data-poll-seconds") || "5", 10);
  var changed = document.getElementById("status-changed");
  var pollStatus = document.getElementById("poll-status");
  if (status === "closed") { return; }
  if (pollStatus) { pollStatus.textContent = "（新消息每" + seconds + "秒自动显示）"; }

  function append(message) {
    var empty = document.getElementById("transcript-empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.className = "role-" + message.role;
    li.setAttribute("data-message-id", message.id);
    var meta = document.createElement("span");
    meta.className = "msg-meta";
    meta.textContent = message.who + " · " + message.at_text;
    var body = document.createElement("div");
    body.className = "msg";
    body.textContent = message.text;
    li.appendChild(meta);
    li.appendChild(body);
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function poll() {
    fetch(url + "?after=" + lastId, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (resp) {
        return resp.json().then(function (data) {
          if (resp.status === 401 && data.error && data.error.login) { window.location.assign(data.error.login); }
          if (!resp.ok) { throw new Error("poll"); }
          return data;
        });
      })
      .then(function (data) {
        (data.messages || []).forEach(function (m) {
          if (m.id > lastId) { append(m); lastId = m.id; }
        });
        if (data.status && data.status !== status && changed) {
          changed.textContent = "会话状态已变为“" + data.status_label + "”，请刷新页面查看可用操作。";
          changed.hidden = false;
          status = data.status;
        }
        if (status !== "closed") { window.setTimeout(poll, seconds * 1000); }
      })
      .catch(function () { window.setTimeout(poll, seconds * 3000); });
  }
  list.scrollTop = list.scrollHeight;
  window.setTimeout(poll, seconds * 1000);
})();
