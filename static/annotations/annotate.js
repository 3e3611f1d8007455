// The annotate page: select text with the mouse, a finger or the keyboard,
// turn the selection into code-point offsets and tag it; nudge, delete and undo
// from the keyboard. The keys are listed in the "?" window and the README.
//
// The browser counts UTF-16 units, the server code points. Every run of text in
// #article-text sits in an element whose data-start is the code point where it
// begins, so a point converts either way without walking the whole text. The
// caret, the selection and every span are handled in code points; only
// domPoint/toCodePoint speak DOM.
(function () {
  "use strict";

  // What Python's str.isspace() accepts, so a trimmed span passes the server's check.
  const SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
  const WORD = /^[\p{L}\p{M}\p{N}]$/u;
  // French elisions an entity never starts with: « d’OpenAI » is OpenAI.
  const ELISION = /^(?:jusqu|lorsqu|puisqu|qu|[dljnsctm])['\u2019](?=\p{L})/iu;
  const OPENING_QUOTES = "\u00ab\u201c\u201e\u2039";
  const CLOSING_QUOTES = "\u00bb\u201d\u201c\u203a";
  const MAX_SOURCES = 5;
  const UNDO_SECONDS = 10;
  const LAST_TYPE_KEY = "newsroom.lastEntityType";
  const HIDE_SUGGESTIONS_KEY = "newsroom.hideSuggestions";
  const charCache = new WeakMap();
  const segmentCache = new WeakMap();
  const graphemes = typeof Intl !== "undefined" && Intl.Segmenter
    ? new Intl.Segmenter(undefined, { granularity: "grapheme" })
    : null;

  function articleText() {
    return document.getElementById("article-text");
  }

  function toolbar() {
    return document.getElementById("label-toolbar");
  }

  function actionForm() {
    return document.getElementById("span-action-form");
  }

  function strings() {
    const el = document.getElementById("annotate-strings");
    if (!el) return {};
    if (!el._parsed) el._parsed = JSON.parse(el.textContent);
    return el._parsed;
  }

  function isWord(ch) {
    return ch !== undefined && WORD.test(ch);
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

  // The runs of text, in order, with the code point each starts at.
  function segments(root) {
    let runs = segmentCache.get(root);
    if (!runs) {
      runs = Array.from(root.querySelectorAll("[data-start]"), function (el) {
        return { el: el, start: Number(el.dataset.start) };
      });
      segmentCache.set(root, runs);
    }
    return runs;
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

  // The DOM boundary point (text node, UTF-16 offset) of a code point.
  function domPoint(root, cp) {
    const runs = segments(root);
    let low = 0;
    let high = runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (runs[middle].start <= cp) low = middle;
      else high = middle - 1;
    }
    const run = runs[low];
    const node = run.el.firstChild;
    if (!node) return [run.el, 0];
    let left = cp - run.start;
    let units = 0;
    for (const ch of node.data) {
      if (left-- <= 0) break;
      units += ch.length;
    }
    return [node, units];
  }

  function inText(root, node) {
    return !!node && root.contains(node);
  }

  // The selection's anchor and focus in code points, or null outside the text.
  function selectionPoints(root) {
    const selection = window.getSelection();
    if (!root || !selection || selection.rangeCount === 0) return null;
    if (!inText(root, selection.anchorNode) || !inText(root, selection.focusNode)) return null;
    const anchor = toCodePoint(root, selection.anchorNode, selection.anchorOffset, false);
    const focus = toCodePoint(root, selection.focusNode, selection.focusOffset, false);
    if (anchor === null || focus === null) return null;
    return { anchor: anchor, focus: focus };
  }

  function setSelection(root, anchor, focus) {
    const a = domPoint(root, anchor);
    const f = domPoint(root, focus);
    window.getSelection().setBaseAndExtent(a[0], a[1], f[0], f[1]);
  }

  // Smart boundaries. A selection that starts or ends inside a word takes the
  // whole word; whitespace is trimmed; an entity loses a leading French elision
  // (d’, l’, qu’…); a quote loses the guillemets around it, unless they are all
  // that was selected.
  function snap(chars, start, end) {
    while (start < end && SPACE.test(chars[start])) start++;
    while (end > start && SPACE.test(chars[end - 1])) end--;
    if (start >= end) return null;
    while (start > 0 && isWord(chars[start - 1]) && isWord(chars[start])) start--;
    while (end < chars.length && isWord(chars[end - 1]) && isWord(chars[end])) end++;
    return { start: start, end: end };
  }

  function trim(chars, span) {
    let start = span.start;
    let end = span.end;
    while (start < end && SPACE.test(chars[start])) start++;
    while (end > start && SPACE.test(chars[end - 1])) end--;
    return { start: start, end: end };
  }

  function forLabel(chars, span, label) {
    let start = span.start;
    let end = span.end;
    if (label.isEntity) {
      const head = chars.slice(start, Math.min(end, start + 10)).join("");
      const elided = ELISION.exec(head);
      if (elided && start + elided[0].length < end) start += elided[0].length;
    } else if (label.slug === "quote") {
      let inner = { start: start, end: end };
      if (OPENING_QUOTES.includes(chars[inner.start])) inner.start++;
      if (inner.end > inner.start && CLOSING_QUOTES.includes(chars[inner.end - 1])) inner.end--;
      inner = trim(chars, inner);
      if (inner.start < inner.end) {
        start = inner.start;
        end = inner.end;
      }
    }
    return { start: start, end: end, text: chars.slice(start, end).join("") };
  }

  // The selection as {start, end, text} in code points, snapped to words and
  // trimmed, or null when it is empty or reaches outside the article.
  function currentSelection() {
    const root = articleText();
    const selection = window.getSelection();
    if (!root || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
    const start = toCodePoint(root, range.startContainer, range.startOffset, false);
    const end = toCodePoint(root, range.endContainer, range.endOffset, true);
    if (start === null || end === null) return null;
    const chars = codePoints(root);
    const snapped = snap(chars, start, end);
    if (!snapped) return null;
    return {
      start: snapped.start,
      end: snapped.end,
      text: chars.slice(snapped.start, snapped.end).join(""),
      range: range,
    };
  }

  // Caret movement, in code points.

  function graphemeStep(chars, cp, direction) {
    const fallback = Math.max(0, Math.min(chars.length, cp + direction));
    if (!graphemes) return fallback;
    // Segment a window around the caret: clusters are far shorter than this.
    const from = Math.max(0, cp - 32);
    const to = Math.min(chars.length, cp + 32);
    const boundaries = [from];
    let position = from;
    for (const piece of graphemes.segment(chars.slice(from, to).join(""))) {
      position += countCodePoints(piece.segment);
      boundaries.push(position);
    }
    if (direction > 0) {
      const next = boundaries.find(function (b) { return b > cp; });
      return next === undefined ? fallback : next;
    }
    let previous = null;
    boundaries.forEach(function (b) { if (b < cp) previous = b; });
    return previous === null ? fallback : previous;
  }

  function wordEndAfter(chars, cp) {
    while (cp < chars.length && !isWord(chars[cp])) cp++;
    while (cp < chars.length && isWord(chars[cp])) cp++;
    return cp;
  }

  function wordStartBefore(chars, cp) {
    while (cp > 0 && !isWord(chars[cp - 1])) cp--;
    while (cp > 0 && isWord(chars[cp - 1])) cp--;
    return cp;
  }

  function wordStartAfter(chars, cp) {
    while (cp < chars.length && isWord(chars[cp])) cp++;
    while (cp < chars.length && !isWord(chars[cp])) cp++;
    return cp;
  }

  function wordEndBefore(chars, cp) {
    while (cp > 0 && isWord(chars[cp - 1])) cp--;
    while (cp > 0 && !isWord(chars[cp - 1])) cp--;
    return cp;
  }

  function paragraphStart(chars, cp) {
    while (cp > 0 && chars[cp - 1] !== "\n") cp--;
    return cp;
  }

  function paragraphEnd(chars, cp) {
    while (cp < chars.length && chars[cp] !== "\n") cp++;
    return cp;
  }

  let lastCaret = 0;

  function moveCaret(root, event) {
    const chars = codePoints(root);
    const points = selectionPoints(root) || { anchor: lastCaret, focus: lastCaret };
    const collapsed = points.anchor === points.focus;
    const word = event.ctrlKey;
    let focus = points.focus;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const direction = event.key === "ArrowRight" ? 1 : -1;
      if (!event.shiftKey && !collapsed && !word) {
        // Like any editor: an arrow first collapses the selection to its edge.
        focus = direction > 0
          ? Math.max(points.anchor, points.focus)
          : Math.min(points.anchor, points.focus);
      } else if (word) {
        focus = direction > 0 ? wordEndAfter(chars, focus) : wordStartBefore(chars, focus);
      } else {
        focus = graphemeStep(chars, focus, direction);
      }
    } else if (event.key === "Home") {
      focus = paragraphStart(chars, focus);
    } else if (event.key === "End") {
      focus = paragraphEnd(chars, focus);
    }
    setSelection(root, event.shiftKey ? points.anchor : focus, focus);
    lastCaret = focus;
  }

  function moveByLine(root, event) {
    const selection = window.getSelection();
    const before = selectionPoints(root);
    if (!before || typeof selection.modify !== "function") return;
    selection.modify(event.shiftKey ? "extend" : "move", event.key === "ArrowDown" ? "forward" : "backward", "line");
    const after = selectionPoints(root);
    if (!after) setSelection(root, before.anchor, before.focus);
    else lastCaret = after.focus;
  }

  // The caret: a collapsed selection in text that is not editable is invisible,
  // so one is drawn over it.
  function caretElement() {
    let caret = document.getElementById("text-caret");
    if (!caret) {
      caret = document.createElement("div");
      caret.id = "text-caret";
      caret.className = "text-caret";
      caret.setAttribute("aria-hidden", "true");
      caret.hidden = true;
      document.body.appendChild(caret);
    }
    return caret;
  }

  function drawCaret() {
    const root = articleText();
    const caret = caretElement();
    const selection = window.getSelection();
    if (!root || document.activeElement !== root || !selection.rangeCount || !inText(root, selection.focusNode)) {
      caret.hidden = true;
      return;
    }
    const range = document.createRange();
    range.setStart(selection.focusNode, selection.focusOffset);
    range.collapse(true);
    let rect = range.getClientRects()[0];
    if (!rect || !rect.height) {
      // At a line break a collapsed range has no box: measure the next character.
      const node = selection.focusNode;
      if (node.nodeType === Node.TEXT_NODE && selection.focusOffset < node.data.length) {
        range.setEnd(node, selection.focusOffset + 1);
        const box = range.getClientRects()[0];
        if (box) rect = { left: box.left, top: box.top, height: box.height };
      }
    }
    if (!rect || !rect.height) {
      caret.hidden = true;
      return;
    }
    caret.hidden = false;
    caret.style.left = rect.left + window.scrollX + "px";
    caret.style.top = rect.top + window.scrollY + "px";
    caret.style.height = rect.height + "px";
    // Restart the blink, so a moving caret is always visible.
    caret.classList.remove("blink");
    void caret.offsetWidth;
    caret.classList.add("blink");
  }

  // The current span: the one under the caret, the one focused in the panel, or
  // the one just created or moved. Nudge and Delete act on it.

  let currentSpanId = null;
  let pinned = null;

  function spanMarks(id) {
    const root = articleText();
    return root ? root.querySelectorAll('[data-span-id="' + CSS.escape(String(id)) + '"]') : [];
  }

  function spanInfo(id) {
    const mark = spanMarks(id)[0];
    if (!mark) return null;
    return {
      id: String(id),
      start: Number(mark.dataset.from),
      end: Number(mark.dataset.to),
      version: Number(mark.dataset.version),
      label: mark.dataset.label,
      status: mark.dataset.status,
      score: mark.dataset.score,
    };
  }

  function spanAt(root, cp) {
    let best = null;
    let bestLength = Infinity;
    root.querySelectorAll("mark[data-span-id]").forEach(function (mark) {
      const from = Number(mark.dataset.from);
      const to = Number(mark.dataset.to);
      if (from <= cp && cp <= to && to - from < bestLength) {
        best = mark.dataset.spanId;
        bestLength = to - from;
      }
    });
    return best;
  }

  function setCurrent(id) {
    id = id === null || id === undefined ? null : String(id);
    document.querySelectorAll(".current-span").forEach(function (el) {
      el.classList.remove("current-span");
    });
    currentSpanId = id;
    if (id === null) return;
    spanMarks(id).forEach(function (el) {
      el.classList.add("current-span");
    });
    const row = document.getElementById("span-row-" + id);
    if (row) row.classList.add("current-span");
  }

  function followCaret(root) {
    const points = selectionPoints(root);
    if (!points || points.anchor !== points.focus) return;
    if (pinned && pinned.at === points.focus) return;
    pinned = null;
    setCurrent(spanAt(root, points.focus));
  }

  function pin(id, caretAt) {
    pinned = { id: String(id), at: caretAt };
    setCurrent(id);
  }

  // Messages: the toast, and the same words read out by screen readers.

  function announce(text) {
    const live = document.getElementById("sr-announce");
    if (!live) return;
    live.textContent = "";
    // A change after an empty frame is announced even when the words repeat.
    setTimeout(function () {
      live.textContent = text;
    }, 30);
  }

  function say(text, isError) {
    const box = document.getElementById("annotate-message");
    if (!box) return;
    box.removeAttribute("data-undo-event");
    const p = document.createElement("div");
    p.className = "flash " + (isError ? "error" : "ok");
    const span = document.createElement("span");
    span.className = "flash-text";
    span.textContent = text;
    p.appendChild(span);
    box.replaceChildren(p);
    announce(text);
  }

  // The toolbar and its pickers.

  let lastPicked = null;
  let picking = null;
  let toolbarPressed = false;
  const narrow = window.matchMedia("(max-width: 60rem)");

  function showLabels(bar) {
    bar.querySelector(".toolbar-labels").hidden = false;
    bar.querySelectorAll(".picker").forEach(function (picker) {
      picker.hidden = true;
    });
  }

  function hideToolbar() {
    const bar = toolbar();
    if (!bar) return;
    bar.hidden = true;
    showLabels(bar);
    picking = null;
  }

  function placeToolbar() {
    const bar = toolbar();
    if (!bar || picking) return;
    const picked = currentSelection();
    if (!picked) {
      if (!toolbarPressed) bar.hidden = true;
      return;
    }
    lastPicked = picked;
    bar.hidden = false;
    if (narrow.matches) {
      // On a phone the toolbar sits at the bottom (app.css), clear of the
      // system's own selection menu.
      bar.style.left = "";
      bar.style.top = "";
      return;
    }
    const rects = picked.range.getClientRects();
    const rect = rects.length ? rects[rects.length - 1] : picked.range.getBoundingClientRect();
    const left = Math.min(rect.left, window.innerWidth - bar.offsetWidth - 8);
    bar.style.left = Math.max(8, left) + window.scrollX + "px";
    bar.style.top = rect.bottom + window.scrollY + 6 + "px";
  }

  function labelOf(button) {
    return {
      slug: button.dataset.labelSlug,
      isEntity: button.dataset.isEntity === "1",
      button: button,
    };
  }

  function labelButton(slug) {
    const bar = toolbar();
    return bar && bar.querySelector('.toolbar-labels [data-label-slug="' + CSS.escape(slug) + '"]');
  }

  function entitySlug() {
    const bar = toolbar();
    const button = bar && bar.querySelector('.toolbar-labels [data-is-entity="1"]');
    return button ? button.dataset.labelSlug : "entity";
  }

  // The entity spans nearest before and after the selection: who said it.
  function sourceCandidates(root, span) {
    const chars = codePoints(root);
    const seen = new Map();
    root.querySelectorAll('mark[data-label="' + CSS.escape(entitySlug()) + '"]').forEach(function (mark) {
      const id = mark.dataset.spanId;
      if (mark.dataset.status === "rejected" || mark.classList.contains("hl-cont")) return;
      const from = Number(mark.dataset.from);
      const to = Number(mark.dataset.to);
      let distance;
      let side;
      if (to <= span.start) {
        distance = span.start - to;
        side = "before";
      } else if (from >= span.end) {
        distance = from - span.end;
        side = "after";
      } else {
        return;
      }
      const text = chars.slice(from, to).join("");
      const known = seen.get(text);
      if (!known || known.distance > distance) {
        seen.set(text, { id: id, text: text, distance: distance, side: side });
      }
    });
    const all = Array.from(seen.values()).sort(function (a, b) {
      return a.distance - b.distance;
    });
    // The nearest on each side first, then the others by distance.
    const firsts = ["before", "after"]
      .map(function (side) {
        return all.find(function (c) {
          return c.side === side;
        });
      })
      .filter(Boolean)
      .sort(function (a, b) {
        return a.distance - b.distance;
      });
    const rest = all.filter(function (c) {
      return firsts.indexOf(c) < 0;
    });
    return firsts.concat(rest).slice(0, MAX_SOURCES);
  }

  function openPicker(kind, span, label) {
    const bar = toolbar();
    const picker = document.getElementById(kind === "type" ? "type-picker" : "source-picker");
    if (!bar || !picker) return false;
    const root = articleText();
    picking = {
      kind: kind,
      span: span,
      label: label,
      returnTo: document.activeElement === root ? "text" : document.activeElement,
    };
    bar.querySelector(".toolbar-labels").hidden = true;
    bar.querySelectorAll(".picker").forEach(function (el) {
      el.hidden = el !== picker;
    });
    bar.hidden = false;
    let focus;
    if (kind === "type") {
      let last = "";
      try {
        last = window.localStorage.getItem(LAST_TYPE_KEY) || "";
      } catch (error) {
        last = "";
      }
      picker.querySelectorAll("[data-entity-type]").forEach(function (button) {
        const chosen = button.dataset.entityType === last;
        button.classList.toggle("preselected", chosen);
        if (chosen) focus = button;
      });
    } else {
      const choices = picker.querySelector(".picker-choices");
      choices.replaceChildren();
      span.candidates.forEach(function (candidate, index) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.sourceId = candidate.id;
        button.dataset.key = String(index + 1);
        button.setAttribute("aria-keyshortcuts", String(index + 1));
        const kbd = document.createElement("kbd");
        kbd.textContent = String(index + 1);
        button.append(kbd, " " + candidate.text);
        choices.appendChild(button);
        if (!focus) focus = button;
      });
    }
    (focus || picker.querySelector("button")).focus({ preventScroll: true });
    return true;
  }

  function closePicker() {
    if (!picking) return;
    const returnTo = picking.returnTo;
    const span = picking.span;
    const bar = toolbar();
    picking = null;
    if (bar) showLabels(bar);
    const root = articleText();
    if (returnTo === "text" && root) {
      root.focus({ preventScroll: true });
      setSelection(root, span.selStart, span.selEnd);
    } else if (returnTo && returnTo.isConnected) {
      returnTo.focus({ preventScroll: true });
    }
    placeToolbar();
  }

  let afterCreate = null;

  function submitSpan(span, label, extra) {
    const form = document.getElementById("span-form");
    const root = articleText();
    if (!form || !root) return;
    form.elements.label.value = label.slug;
    form.elements.start.value = span.start;
    form.elements.end.value = span.end;
    form.elements.text.value = span.text;
    form.elements.entity_type.value = (extra && extra.entityType) || "";
    form.elements.source.value = (extra && extra.source) || "";
    afterCreate = {
      start: span.start,
      end: span.end,
      label: label.slug,
      focusText: picking ? picking.returnTo === "text" : document.activeElement === root,
    };
    picking = null;
    window.getSelection().removeAllRanges();
    hideToolbar();
    form.requestSubmit();
  }

  function tag(labelButtonEl) {
    const root = articleText();
    if (!root) return false;
    const label = labelOf(labelButtonEl);
    const picked = currentSelection() || (toolbarPressed && lastPicked);
    if (!picked) return false;
    const chars = codePoints(root);
    const span = forLabel(chars, picked, label);
    span.selStart = picked.start;
    span.selEnd = picked.end;
    if (label.isEntity) return openPicker("type", span, label);
    span.candidates = sourceCandidates(root, span);
    if (span.candidates.length) return openPicker("source", span, label);
    submitSpan(span, label);
    return true;
  }

  function pickType(value) {
    if (!picking || picking.kind !== "type") return;
    try {
      window.localStorage.setItem(LAST_TYPE_KEY, value);
    } catch (error) {
      // Private windows may refuse storage; the picker still works.
    }
    submitSpan(picking.span, picking.label, { entityType: value });
  }

  function pickSource(id) {
    if (!picking || picking.kind !== "source") return;
    submitSpan(picking.span, picking.label, { source: id });
  }

  function pickerKey(event) {
    if (!picking) return false;
    const key = event.key;
    if (key === "Escape") {
      closePicker();
      return true;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const picker = document.getElementById(picking.kind === "type" ? "type-picker" : "source-picker");
    if (key === "ArrowLeft" || key === "ArrowRight") {
      const buttons = Array.from(picker.querySelectorAll("button"));
      const index = buttons.indexOf(document.activeElement);
      const next = buttons[(index + (key === "ArrowRight" ? 1 : -1) + buttons.length) % buttons.length];
      if (next) next.focus();
      return true;
    }
    if (key === " " || key === "Tab") return false;
    const button = picker.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (button) {
      button.click();
      return true;
    }
    // Any other key is swallowed: a stray letter must not tag something else.
    return key.length === 1;
  }

  // Writes other than creation: nudge, delete, undo. They post through htmx
  // with the hidden form's CSRF token and redraw the workspace.

  let restore = null;

  function remember() {
    const root = articleText();
    const active = document.activeElement;
    const row = active && active.closest ? active.closest(".span-row") : null;
    return {
      text: active === root,
      caret: root ? selectionPoints(root) : null,
      row: row ? row.id : null,
      active: active && active.id ? active.id : null,
    };
  }

  function post(path, values, then) {
    const form = actionForm();
    if (!form || typeof htmx === "undefined") return;
    restore = Object.assign(remember(), then || {});
    htmx.ajax("POST", path, {
      source: form,
      target: "#workspace",
      swap: "outerHTML",
      values: values,
    });
  }

  function spansUrl() {
    const form = actionForm();
    return form ? form.dataset.spansUrl : null;
  }

  function targetSpan() {
    const active = document.activeElement;
    const row = active && active.closest ? active.closest(".span-row") : null;
    if (row) return row.id.replace("span-row-", "");
    const root = articleText();
    if (root && active === root) {
      // Read the caret now: the selectionchange of a quick key may still wait.
      const points = selectionPoints(root);
      if (points && points.anchor === points.focus) {
        if (pinned && pinned.at === points.focus) return pinned.id;
        return spanAt(root, points.focus);
      }
    }
    return currentSpanId;
  }

  function nudge(which, direction) {
    const id = targetSpan();
    const info = id && spanInfo(id);
    const root = articleText();
    if (!info || !root) {
      say(strings().no_span || "", true);
      return;
    }
    const row = document.getElementById("span-row-" + id);
    const suggestion = info.status === "suggested";
    if (row && !row.querySelector(suggestion ? ".suggestion-actions" : ".span-actions")) {
      say(strings().not_yours || "", true);
      return;
    }
    const chars = codePoints(root);
    let start = info.start;
    let end = info.end;
    if (which === "start") {
      start = direction < 0 ? wordStartBefore(chars, start) : wordStartAfter(chars, start);
    } else {
      end = direction > 0 ? wordEndAfter(chars, end) : wordEndBefore(chars, end);
    }
    if (start >= end || (start === info.start && end === info.end)) {
      say(strings().cannot_move || "", true);
      return;
    }
    // A suggestion stays one, adjusted, until y accepts it.
    const verb = suggestion ? "/adjust/" : "/move/";
    post(spansUrl() + id + verb, { start: start, end: end, version: info.version }, {
      pin: id,
      caret: { anchor: which === "start" ? start : end, focus: which === "start" ? start : end },
    });
  }

  function deleteSpan() {
    const id = targetSpan();
    if (!id || !spanInfo(id)) {
      say(strings().no_span || "", true);
      return;
    }
    const row = document.getElementById("span-row-" + id);
    if (spanInfo(id).status === "suggested") {
      say(strings().dismiss_with_x || "", true);
      return;
    }
    if (!row || !row.querySelector('form[action$="/delete/"]')) {
      say(strings().not_yours || "", true);
      return;
    }
    post(spansUrl() + id + "/delete/", {}, { pin: null, gone: id });
  }

  const undoStack = [];

  function undo() {
    const form = actionForm();
    const event = undoStack.pop();
    if (!form || !event) {
      say(strings().nothing_to_undo || "", true);
      return;
    }
    post(form.dataset.undoUrl, { event: event }, { pin: null, undone: event });
  }

  function noteUndo() {
    const box = document.getElementById("annotate-message");
    const event = box && box.dataset.undoEvent;
    if (event && undoStack[undoStack.length - 1] !== event) {
      undoStack.push(event);
      const button = box.querySelector(".undo-form");
      // The toast's Undo button lasts ten seconds; Ctrl+Z works all along.
      if (button) {
        setTimeout(function () {
          if (button.isConnected) button.remove();
        }, UNDO_SECONDS * 1000);
      }
    }
  }

  // Suggestions: n and p walk them in text order, y accepts the current one, x
  // dismisses it, Shift+Y accepts every shown suggestion of its label scoring
  // as much or more. The nudge keys adjust one before it is accepted.

  function annotateArticle() {
    return document.querySelector("article.annotate");
  }

  function suggestionsHidden() {
    const article = annotateArticle();
    return !!article && article.classList.contains("hide-suggestions");
  }

  function setSuggestionsHidden(hidden) {
    const article = annotateArticle();
    if (!article) return;
    article.classList.toggle("hide-suggestions", hidden);
    try {
      if (hidden) window.localStorage.setItem(HIDE_SUGGESTIONS_KEY, "1");
      else window.localStorage.removeItem(HIDE_SUGGESTIONS_KEY);
    } catch (error) {
      // Private windows may refuse storage; the toggle still works here.
    }
    syncSuggestionToggle();
  }

  function syncSuggestionToggle() {
    const hidden = suggestionsHidden();
    document.querySelectorAll("[data-toggle-suggestions]").forEach(function (button) {
      button.setAttribute("aria-pressed", hidden ? "true" : "false");
    });
  }

  // Every suggestion shown in the text, once each, outermost first at a place.
  function suggestionList() {
    const root = articleText();
    if (!root || suggestionsHidden()) return [];
    const seen = new Map();
    root.querySelectorAll('mark[data-status="suggested"]').forEach(function (mark) {
      if (seen.has(mark.dataset.spanId)) return;
      seen.set(mark.dataset.spanId, {
        id: mark.dataset.spanId,
        start: Number(mark.dataset.from),
        end: Number(mark.dataset.to),
        label: mark.dataset.label,
        score: mark.dataset.score,
      });
    });
    return Array.from(seen.values()).sort(function (a, b) {
      return a.start - b.start || b.end - a.end || Number(a.id) - Number(b.id);
    });
  }

  function comesAfter(item, place) {
    return item.start > place.start || (item.start === place.start && item.end < place.end);
  }

  // ``said``: what the last answer said, read out before the suggestion.
  function goToSuggestion(item, said) {
    const root = articleText();
    const marks = spanMarks(item.id);
    if (!root || !marks.length) return;
    root.focus({ preventScroll: true });
    setSelection(root, item.start, item.start);
    lastCaret = item.start;
    pin(item.id, item.start);
    marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
    pulse(Array.from(marks));
    announce(said ? said + " " + marks[0].title : marks[0].title);
    drawCaret();
  }

  function stepSuggestion(direction) {
    if (suggestionsHidden()) {
      say(strings().suggestions_hidden || "", true);
      return;
    }
    const list = suggestionList();
    if (!list.length) {
      say(strings().no_suggestions || "", true);
      return;
    }
    const current = targetSpan();
    const index = list.findIndex(function (item) { return item.id === current; });
    let next;
    if (index >= 0) {
      next = list[index + direction];
    } else if (direction > 0) {
      next = list.find(function (item) { return item.start >= lastCaret; });
    } else {
      next = list.filter(function (item) { return item.start < lastCaret; }).pop();
    }
    if (!next) {
      say(strings().no_more_suggestions || "", true);
      return;
    }
    goToSuggestion(next);
  }

  function currentSuggestion() {
    const id = targetSpan();
    const info = id && spanInfo(id);
    if (!info || info.status !== "suggested" || suggestionsHidden()) {
      say(strings().no_suggestion || "", true);
      return null;
    }
    const row = document.getElementById("span-row-" + id);
    if (!row || !row.querySelector(".suggestion-actions")) {
      say(strings().not_yours || "", true);
      return null;
    }
    return info;
  }

  function decideSuggestion(verb) {
    const info = currentSuggestion();
    if (!info) return;
    post(spansUrl() + info.id + "/" + verb + "/", { version: info.version }, {
      pin: null,
      // Then on to the suggestion that follows it.
      nextSuggestion: { id: info.id, start: info.start, end: info.end },
    });
  }

  function acceptAllLikeThis() {
    const info = currentSuggestion();
    const form = actionForm();
    if (!info || !form) return;
    const score = Number(info.score);
    const ids = suggestionList()
      .filter(function (item) { return item.label === info.label && Number(item.score) >= score; })
      .map(function (item) { return item.id; });
    post(form.dataset.acceptAllUrl, { label: info.label, min_score: info.score, spans: ids }, {
      pin: null,
    });
  }

  // The drawer that holds the span panel on phones and tablets.

  let drawerOpener = null;

  function panel() {
    return document.getElementById("panel");
  }

  function openDrawer(opener) {
    const aside = panel();
    if (!aside) return;
    drawerOpener = opener || document.activeElement;
    aside.classList.add("open");
    syncDrawerToggle();
    const title = document.getElementById("panel-title");
    if (title) title.focus({ preventScroll: true });
  }

  function closeDrawer() {
    const aside = panel();
    if (!aside || !aside.classList.contains("open")) return false;
    aside.classList.remove("open");
    syncDrawerToggle();
    const back = drawerOpener && drawerOpener.isConnected ? drawerOpener : document.getElementById("panel-toggle");
    if (back) back.focus({ preventScroll: true });
    drawerOpener = null;
    return true;
  }

  function syncDrawerToggle() {
    const aside = panel();
    const toggle = document.getElementById("panel-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", aside && aside.classList.contains("open") ? "true" : "false");
  }

  // Showing a span and its row.

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
    const marks = spanMarks(id);
    if (!marks.length) return;
    if (narrow.matches) closeDrawer();
    marks[0].scrollIntoView({ block: "center", behavior: "smooth" });
    pulse(Array.from(marks));
    setCurrent(id);
  }

  function showRow(id) {
    const row = document.getElementById("span-row-" + id);
    if (!row) return;
    row.scrollIntoView({ block: "nearest", behavior: "smooth" });
    pulse([row]);
  }

  // Esc in the panel's edit form: cancel it, and come back to its Edit link.
  let editOpener = null;

  function cancelEdit(form) {
    const cancel = form.querySelector(".cancel-edit");
    const id = form.dataset.spanId;
    if (!cancel) return;
    editOpener = id;
    cancel.click();
  }

  // Events.

  let pendingFrame = false;
  document.addEventListener("selectionchange", function () {
    if (pendingFrame) return;
    pendingFrame = true;
    requestAnimationFrame(function () {
      pendingFrame = false;
      placeToolbar();
      const root = articleText();
      if (root && document.activeElement === root) {
        const points = selectionPoints(root);
        if (points) lastCaret = points.focus;
        followCaret(root);
      }
      drawCaret();
    });
  });

  let pointerInText = false;
  document.addEventListener("pointerdown", function (event) {
    pointerInText = !!(event.target.closest && event.target.closest("#article-text"));
    if (event.target.closest && event.target.closest("#label-toolbar")) {
      toolbarPressed = true;
      setTimeout(function () {
        toolbarPressed = false;
      }, 800);
    } else if (picking) {
      // A click elsewhere abandons the picker: its selection is being replaced.
      const bar = toolbar();
      picking = null;
      if (bar) showLabels(bar);
    }
  }, true);

  document.addEventListener("focusin", function (event) {
    const root = articleText();
    if (root && event.target === root) {
      // Tab (or the skip link) puts the caret at the start, or where it was; a
      // click puts it where the click was, which the browser does itself.
      if (!pointerInText && !selectionPoints(root)) {
        const at = Math.min(lastCaret, codePoints(root).length);
        setSelection(root, at, at);
      }
      pointerInText = false;
      drawCaret();
      return;
    }
    const row = event.target.closest && event.target.closest(".span-row");
    if (row) setCurrent(row.id.replace("span-row-", ""));
  });

  document.addEventListener("focusout", function (event) {
    if (event.target === articleText()) caretElement().hidden = true;
  });

  window.addEventListener("resize", drawCaret);

  // The scripts load deferred: the page is parsed, the toggle can apply now.
  try {
    if (window.localStorage.getItem(HIDE_SUGGESTIONS_KEY) === "1") setSuggestionsHidden(true);
  } catch (error) {
    // No storage: suggestions are shown.
  }

  document.addEventListener("keydown", function (event) {
    if (event.isComposing) return;
    if (pickerKey(event)) {
      event.preventDefault();
      return;
    }
    const target = event.target;
    const root = articleText();
    const inForm = target.closest && target.closest("input, textarea, select, [contenteditable]");

    if (event.key === "Escape") {
      const edit = target.closest && target.closest(".span-edit");
      if (edit) {
        event.preventDefault();
        cancelEdit(edit);
        return;
      }
      if (target.closest && target.closest(".reject-form")) return;
      if (closeDrawer()) {
        event.preventDefault();
        return;
      }
      hideToolbar();
      if (root && target === root) {
        const points = selectionPoints(root);
        if (points && points.anchor !== points.focus) setSelection(root, points.focus, points.focus);
      }
      return;
    }
    if (inForm) return;

    // Ctrl+Z (Cmd+Z on a Mac): undo the page's last create, edit or delete.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "z") {
      if (!actionForm()) return;
      event.preventDefault();
      undo();
      return;
    }
    if (!actionForm()) return;
    const onSpan = root && (target === root || (target.closest && target.closest(".span-row")));

    // Alt+arrows nudge the start, Alt+Shift+arrows the end, by one word.
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      if (!onSpan) return;
      event.preventDefault();
      nudge(event.shiftKey ? "end" : "start", event.key === "ArrowRight" ? 1 : -1);
      return;
    }
    if ((event.key === "Delete" || event.key === "Backspace") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      if (!onSpan) return;
      if (target === root) {
        const points = selectionPoints(root);
        if (points && points.anchor !== points.focus) return;
      }
      event.preventDefault();
      deleteSpan();
      return;
    }
    if (event.altKey || event.metaKey) return;

    if (root && target === root) {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(event.key) >= 0) {
        event.preventDefault();
        moveCaret(root, event);
        return;
      }
      if ((event.key === "ArrowUp" || event.key === "ArrowDown") && !event.ctrlKey) {
        event.preventDefault();
        moveByLine(root, event);
        return;
      }
    }
    if (event.ctrlKey) return;
    const bar = toolbar();
    if (!bar || event.key.length !== 1) return;
    const button = bar.querySelector('.toolbar-labels [data-shortcut="' + CSS.escape(event.key) + '"]');
    // A selection goes to a label of that key first; otherwise the key may be
    // one of the suggestions'.
    const suggestionKey = SUGGESTION_KEYS[event.key];
    if (suggestionKey && !(button && currentSelection())) {
      event.preventDefault();
      suggestionKey();
      return;
    }
    if (button && tag(button)) event.preventDefault();
  });

  const SUGGESTION_KEYS = {
    n: function () { stepSuggestion(1); },
    p: function () { stepSuggestion(-1); },
    y: function () { decideSuggestion("accept"); },
    x: function () { decideSuggestion("dismiss"); },
    Y: acceptAllLikeThis,
  };

  // The panel's reject forms: Enter on a reason rejects with it, Escape closes.
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
      event.target.checked = true;
      form.requestSubmit();
    } else if (/^[1-9]$/.test(event.key) && event.target.matches("input[type=radio]")) {
      // Digits pick a reason, as in the review queue.
      const choice = form.querySelectorAll("input[name=preset]")[Number(event.key) - 1];
      if (choice) {
        event.preventDefault();
        choice.checked = true;
        choice.focus();
      }
    }
  });

  // Keep the selection alive while a toolbar button is pressed.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest("#label-toolbar")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const labelBtn = event.target.closest("#label-toolbar .toolbar-labels [data-label-slug]");
    if (labelBtn) {
      tag(labelBtn);
      toolbarPressed = false;
      return;
    }
    const typeBtn = event.target.closest("#type-picker [data-entity-type]");
    if (typeBtn) {
      pickType(typeBtn.dataset.entityType);
      return;
    }
    const sourceBtn = event.target.closest("#source-picker [data-source-id]");
    if (sourceBtn) {
      pickSource(sourceBtn.dataset.sourceId);
      return;
    }
    if (event.target.closest("#panel-toggle")) {
      const aside = panel();
      if (aside && aside.classList.contains("open")) closeDrawer();
      else openDrawer(event.target.closest("#panel-toggle"));
      return;
    }
    if (event.target.closest("[data-close-panel]")) {
      closeDrawer();
      return;
    }
    if (event.target.closest("[data-toggle-suggestions]")) {
      setSuggestionsHidden(!suggestionsHidden());
      return;
    }
    const skip = event.target.closest("[data-focus-text]");
    if (skip) {
      const root = articleText();
      if (root) {
        event.preventDefault();
        root.focus();
        root.scrollIntoView({ block: "start" });
      }
      return;
    }
    const show = event.target.closest("[data-show-span]");
    if (show) {
      showSpan(show.dataset.showSpan);
      return;
    }
    const mark = event.target.closest("#article-text [data-span-id]");
    const selection = window.getSelection();
    if (mark && (!selection || selection.isCollapsed)) {
      setCurrent(mark.dataset.spanId);
      showRow(mark.dataset.spanId);
    }
  });

  // The toast's Undo button undoes one step of the same list Ctrl+Z walks.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.target.closest && event.target.closest(".undo-form");
    if (!form) return;
    const id = form.elements.event.value;
    const at = undoStack.lastIndexOf(id);
    if (at >= 0) undoStack.splice(at, 1);
    restore = Object.assign(remember(), { pin: null });
  });

  // A stale version is answered 409 with the current workspace: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap, not a settle: a selection made in the meantime must not be
  // overwritten by the caret put back here.
  document.addEventListener("htmx:afterSwap", function () {
    if (!picking) hideToolbar();
    const root = articleText();
    noteUndo();
    const box = document.getElementById("annotate-message");
    const words = box && box.querySelector(".flash-text");
    if (words) announce(words.textContent);
    syncDrawerToggle();
    syncSuggestionToggle();
    if (root && afterCreate) {
      const made = afterCreate;
      afterCreate = null;
      const marks = root.querySelectorAll(
        'mark[data-label="' + CSS.escape(made.label) + '"][data-from="' + made.start + '"][data-to="' + made.end + '"]'
      );
      if (made.focusText) {
        root.focus({ preventScroll: true });
        setSelection(root, made.end, made.end);
        lastCaret = made.end;
      }
      if (marks.length) pin(marks[0].dataset.spanId, made.end);
      drawCaret();
      return;
    }
    if (restore) {
      const was = restore;
      restore = null;
      if (was.text && root) {
        root.focus({ preventScroll: true });
        const caret = was.caret || { anchor: lastCaret, focus: lastCaret };
        const length = codePoints(root).length;
        setSelection(root, Math.min(caret.anchor, length), Math.min(caret.focus, length));
        lastCaret = Math.min(caret.focus, length);
      } else if (was.row) {
        const button = document.querySelector("#" + CSS.escape(was.row) + " .span-show");
        if (button) button.focus({ preventScroll: true });
        else if (document.getElementById("panel-title")) document.getElementById("panel-title").focus({ preventScroll: true });
      }
      if (was.pin) pin(was.pin, was.caret ? was.caret.focus : null);
      else setCurrent(null);
      const refused = box && box.querySelector(".flash.error");
      if (was.nextSuggestion && !refused) {
        const place = was.nextSuggestion;
        const next = suggestionList().find(function (item) {
          return item.id !== place.id && comesAfter(item, place);
        });
        if (next) goToSuggestion(next, words ? words.textContent : "");
      }
      drawCaret();
      return;
    }
    if (editOpener) {
      const link = document.querySelector("#span-row-" + CSS.escape(editOpener) + ' a[href*="edit=1"]');
      editOpener = null;
      if (link) link.focus();
    }
    if (currentSpanId) setCurrent(currentSpanId);
  });

  // The panel's Edit link: focus the form it opens.
  document.addEventListener("htmx:afterSettle", function (event) {
    const form = event.target.querySelector && event.target.querySelector(".span-edit");
    if (form) {
      const field = form.querySelector("select, input:not([type=hidden])");
      if (field) field.focus();
    }
  });
})();
