// Every page: the "?" window of keys, the phone menu, Esc. Loaded in <head>
// without defer so the page is marked as scripted before its first paint.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  function keysWindow() {
    return document.getElementById("keys-help");
  }

  // The list is the /keys/ page's own; fetched the first time "?" is pressed.
  function showKeys() {
    const dialog = keysWindow();
    if (!dialog || dialog.open) return;
    const body = dialog.querySelector(".keys-body");
    if (body.childElementCount) {
      // showModal puts the focus back where it was when the window closes.
      dialog.showModal();
      return;
    }
    fetch(dialog.dataset.url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.statusText);
        return response.text();
      })
      .then(function (html) {
        // Markup rendered by our own server from a template: no user text.
        body.innerHTML = html;
        if (!dialog.open) dialog.showModal();
      })
      .catch(function () {
        window.location.href = dialog.dataset.url;
      });
  }

  function menu() {
    return {
      toggle: document.querySelector(".menu-toggle"),
      nav: document.getElementById("main-nav"),
    };
  }

  function setMenu(open) {
    const parts = menu();
    if (!parts.toggle || !parts.nav) return;
    parts.nav.classList.toggle("open", open);
    parts.toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("keydown", function (event) {
    if (event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?" && !typing(event.target)) {
      event.preventDefault();
      showKeys();
    } else if (event.key === "Escape") {
      const parts = menu();
      if (parts.nav && parts.nav.classList.contains("open")) {
        setMenu(false);
        parts.toggle.focus();
      }
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-show-keys]")) {
      event.preventDefault();
      showKeys();
      return;
    }
    const toggle = event.target.closest(".menu-toggle");
    if (toggle) {
      setMenu(toggle.getAttribute("aria-expanded") !== "true");
      if (toggle.getAttribute("aria-expanded") === "true") {
        const first = menu().nav.querySelector("a, button");
        if (first) first.focus();
      }
      return;
    }
    // A click outside the open menu closes it.
    const parts = menu();
    if (parts.nav && parts.nav.classList.contains("open") && !event.target.closest("#main-nav")) {
      setMenu(false);
    }
  });
})();
