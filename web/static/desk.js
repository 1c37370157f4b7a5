// lurewatch review desk: keyboard shortcuts and in-place form updates.
// Everything here is optional: every page works with plain links and forms.
// Written for this desk (no framework, no build step); served from /static only.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    var table = document.querySelector("[data-rows]");
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]")) : [];
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return false;
    var index = list.findIndex(function (r) { return r.classList.contains("current"); });
    index = index < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(index + step, 0), list.length - 1);
    list.forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    list[index].classList.add("current");
    list[index].setAttribute("aria-current", "true");
    list[index].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openRow() {
    var row = document.querySelector("[data-rows] tbody tr.current[data-href]");
    if (row) { window.location.assign(row.getAttribute("data-href")); return true; }
    return false;
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link && link.getAttribute("href")) { window.location.assign(link.getAttribute("href")); return true; }
    return false;
  }

  function press(selector) {
    var button = document.querySelector(selector);
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }

  function help(open) {
    var dialog = document.getElementById("help");
    if (!dialog || typeof dialog.showModal !== "function") return false;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
    return true;
  }

  var keys = {
    "j": function () { return moveRow(1) || follow("a[data-key=next]"); },
    "k": function () { return moveRow(-1) || follow("a[data-key=prev]"); },
    "Enter": openRow,
    "c": function () { return press("[data-key=claim]"); },
    "s": function () { return press("[data-decide] button[value=scam]"); },
    "l": function () { return press("[data-decide] button[value=legit]"); },
    "n": function () { return press("[data-decide] button[value=needs_info]"); },
    "x": function () { return press("[data-decide] button[value=skipped]"); },
    "e": function () {
      var note = document.querySelector("[data-decide] textarea");
      if (note) { note.focus(); return true; }
      return false;
    },
    "/": function () {
      var box = document.getElementById("q") || document.getElementById("quick-q");
      if (box) { box.focus(); box.select(); return true; }
      return false;
    },
    "?": function () { return help(true); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target)) return;
    var handler = keys[event.key];
    if (handler && handler()) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest && target.closest("[data-help]")) { help(true); return; }
    var row = target.closest && target.closest("tr[data-href]");
    if (row && !target.closest("a, button, input, select, textarea, form")) {
      window.location.assign(row.getAttribute("data-href"));
    }
  });

  // In-place updates: a form marked data-inplace is sent with fetch; the page it leads
  // to (after the server's redirect) replaces the main area and the messages, so the
  // queue moves on without a full reload. Any failure falls back to a normal submit.
  var busy = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-inplace") || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    var token = form.querySelector("input[name=csrf_token]");
    fetch(form.action, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: token ? { "X-CSRF-Token": token.value } : {}
    }).then(function (response) {
      if (!response.ok && response.status !== 409) throw new Error("HTTP " + response.status);
      return response.text().then(function (html) { swap(html, response.url); });
    }).catch(function () {
      busy = false;
      HTMLFormElement.prototype.submit.call(form);
    }).then(function () { busy = false; });
  });

  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.getElementById("main"), flashes = doc.querySelector(".flashes");
    if (!main) throw new Error("no page");
    document.getElementById("main").replaceWith(main);
    var here = document.querySelector(".flashes");
    if (here && flashes) here.replaceWith(flashes);
    document.title = doc.title;
    document.body.setAttribute("data-page", doc.body.getAttribute("data-page") || "");
    if (url && url !== window.location.href) window.history.pushState({}, "", url);
    var focus = main.querySelector("[autofocus]");
    if (focus) focus.focus();
  }

  window.addEventListener("popstate", function () { window.location.reload(); });
})();
