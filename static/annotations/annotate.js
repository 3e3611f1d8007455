// The annotate page: turn a text selection into code-point offsets and tag it.
//
// The browser counts UTF-16 units, the server code points. Every run of text in
// #article-text sits in an element whose data-start is the code point where it
// begins, so a selection point converts without walking the whole text.
(function () {
  "use strict";

  // What Python's str.isspace() accepts, so a trimmed span passes the server's check.
  const SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
  const charCache = new WeakMap();

  function articleText() {
    return document.getElementById("article-text");
  }

  function toolbar() {
    return document.getElementById("label-toolbar");
  }

  function countCodePoints(str) {
    let n = 0;
    for (let i = 0; i < str.length; i++) {
      const unit = str.charCodeAt(i);
      // A low surrogate after a high one is the second half of one code point.
      if (unit >= 0xdc00 && unit <= 0xdfff && i > 0) {
        const before = str.charCodeAt(i - 1);
        if (before >= 0xd800 && before <= 0xdbff) continue;
      }
      n++;
    }
    return n;
  }

  // The article as an array of code points, built once per rendering of the text.
  function codePoints(root) {
    let chars = charCache.get(root);
    if (!chars) {
      chars = Array.from(root.textContent);
      charCache.set(root, chars);
    }
    return chars;
  }

  function segmentStart(textNode) {
    const segment = textNode.parentElement && textNode.parentElement.closest("[data-start]");
    return segment ? Number(segment.dataset.start) : null;
  }

  function textWalker(root) {
    return document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  }

  // First text node at or after the boundary point (node, offset) of an element.
  function textNodeFrom(root, node, offset) {
    const walker = textWalker(root);
    if (offset < node.childNodes.length) {
      const child = node.childNodes[offset];
      if (child.nodeType === Node.TEXT_NODE) return child;
      walker.currentNode = child;
      return walker.nextNode();
    }
    // After the element's last child: skip everything inside the element.
    let last = node;
    while (last.lastChild) last = last.lastChild;
    walker.currentNode = last;
    return walker.nextNode();
  }

  // Code-point offset of a boundary point; roundUp says which way to go when a
  // point falls between the two halves of a surrogate pair.
  function toCodePoint(root, node, offset, roundUp) {
    if (node.nodeType === Node.TEXT_NODE) {
      const base = segmentStart(node);
      if (base === null) return null;
      const data = node.data;
      if (offset > 0 && offset < data.length) {
        const unit = data.charCodeAt(offset - 1);
        if (unit >= 0xd800 && unit <= 0xdbff) offset += roundUp ? 1 : -1;
      }
      return base + countCodePoints(data.slice(0, offset));
    }
    const next = textNodeFrom(root, node, offset);
    if (!next) return Number(root.dataset.length);
    return segmentStart(next);
  }

  // The selection as {start, end, text} in code points, trimmed of whitespace,
  // or null when it is empty or reaches outside the article.
  function currentSelection() {
    const root = articleText();
    const selection = window.getSelection();
    if (!root || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
    let start = toCodePoint(root, range.startContainer, range.startOffset, false);
    let end = toCodePoint(root, range.endContainer, range.endOffset, true);
    if (start === null || end === null) return null;
    const chars = codePoints(root);
    while (start < end && SPACE.test(chars[start])) start++;
    while (end > start && SPACE.test(chars[end - 1])) end--;
    if (start >= end) return null;
    return { start: start, end: end, text: chars.slice(start, end).join(""), range: range };
  }

  function hideToolbar() {
    const bar = toolbar();
    if (bar) bar.hidden = true;
  }

  function placeToolbar() {
    const bar = toolbar();
    if (!bar) return;
    const picked = currentSelection();
    if (!picked) {
      bar.hidden = true;
      return;
    }
    const rects = picked.range.getClientRects();
    const rect = rects.length ? rects[rects.length - 1] : picked.range.getBoundingClientRect();
    bar.hidden = false;
    const left = Math.min(rect.left, window.innerWidth - bar.offsetWidth - 8);
    bar.style.left = Math.max(8, left) + window.scrollX + "px";
    bar.style.top = rect.bottom + window.scrollY + 6 + "px";
  }

  function tag(labelSlug) {
    const picked = currentSelection();
    const form = document.getElementById("span-form");
    if (!picked || !form) return false;
    form.elements.label.value = labelSlug;
    form.elements.start.value = picked.start;
    form.elements.end.value = picked.end;
    form.elements.text.value = picked.text;
    window.getSelection().removeAllRanges();
    hideToolbar();
    form.requestSubmit();
    return true;
  }

  function pulse(elements) {
    elements.forEach(function (el) {
      el.classList.remove("pulse");
      // Reading a layout property restarts the animation on a second click.
      void el.offsetWidth;
      el.classList.add("pulse");
      el.addEventListener("animationend", function () { el.classList.remove("pulse"); }, { once: true });
    });
  }

  function showSpan(id) {
    const root = articleText();
    if (!root) return;
    const marks = root.querySelectorAll('[data-span-id="' + CSS.escape(id) + '"]');
    if (!marks.length) return;
    marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
    pulse(Array.from(marks));
  }

  function showRow(id) {
    const row = document.getElementById("span-row-" + id);
    if (!row) return;
    row.scrollIntoView({ block: "nearest", behavior: "smooth" });
    pulse([row]);
  }

  let pending = false;
  document.addEventListener("selectionchange", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      placeToolbar();
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      hideToolbar();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const bar = toolbar();
    if (!bar || event.key.length !== 1) return;
    const button = bar.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (button && tag(button.dataset.labelSlug)) event.preventDefault();
  });

  // The panel's reject forms: Enter on a picked reason rejects, Escape closes.
  document.addEventListener("keydown", function (event) {
    const form = event.target.closest && event.target.closest(".reject-form");
    if (!form) return;
    if (event.key === "Escape") {
      const details = form.closest("details");
      if (details) {
        details.open = false;
        details.querySelector("summary").focus();
      }
    } else if (event.key === "Enter" && event.target.matches("input[type=radio]")) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Keep the selection alive while a toolbar button is pressed.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest("#label-toolbar")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("#label-toolbar [data-label-slug]");
    if (button) {
      tag(button.dataset.labelSlug);
      return;
    }
    const show = event.target.closest("[data-show-span]");
    if (show) {
      showSpan(show.dataset.showSpan);
      return;
    }
    const mark = event.target.closest("#article-text [data-span-id]");
    const selection = window.getSelection();
    if (mark && (!selection || selection.isCollapsed)) showRow(mark.dataset.spanId);
  });

  document.addEventListener("htmx:afterSwap", hideToolbar);
})();
