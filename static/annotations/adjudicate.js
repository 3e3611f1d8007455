// The adjudication page from the keyboard: j / k move between items; 1, 2…
// keep that annotator's version, b both, 0 none; e opens the editor (Enter
// keeps the edited span, Escape cancels). Each decision moves on to the next
// undecided item; after the last one, Save has the focus. Clicks on the
// choices do the same. Offsets are code points, as everywhere in the product.
(function () {
  "use strict";

  const form = document.getElementById("adjudicate-form");
  if (!form) return;
  const textData = document.getElementById("article-text");
  // Code points, not UTF-16 units: the server counts offsets that way.
  const text = Array.from(textData ? JSON.parse(textData.textContent) : "");
  const items = Array.from(form.querySelectorAll(".adj-item"));
  const editor = document.getElementById("adj-editor");
  const fields = {
    label: document.getElementById("adj-editor-label"),
    type: document.getElementById("adj-editor-type"),
    start: document.getElementById("adj-editor-start"),
    end: document.getElementById("adj-editor-end"),
    preview: document.getElementById("adj-editor-preview"),
    error: document.getElementById("adj-editor-error"),
  };
  const progress = document.getElementById("adjudicate-progress");
  const save = document.getElementById("adjudicate-save");
  let current = null;
  // The choice an item had before the editor opened, to restore on Escape.
  let before = null;

  function chosen(item) {
    return item.querySelector("input[type=radio]:checked");
  }

  function editValue(item) {
    const input = item.querySelector(".adj-edit-value");
    return input ? input.value : "";
  }

  function isDecided(item) {
    const choice = chosen(item);
    if (!choice) return false;
    return choice.value !== "edit" || editValue(item) !== "";
  }

  function refresh() {
    let done = 0;
    items.forEach(function (item) {
      const decided = isDecided(item);
      item.classList.toggle("decided", decided);
      if (decided) done += 1;
    });
    if (progress && items.length) {
      progress.textContent = progress.dataset.template
        .replace("__DONE__", String(done))
        .replace("__TOTAL__", String(items.length));
    }
    return done;
  }

  function focusItem(item) {
    if (!item) return;
    items.forEach(function (other) {
      other.classList.toggle("current", other === item);
    });
    current = item;
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    if (!items.length) return;
    let index = current ? items.indexOf(current) + step : 0;
    index = Math.max(0, Math.min(items.length - 1, index));
    focusItem(items[index]);
  }

  function advance(from) {
    const start = items.indexOf(from);
    const ordered = items.slice(start + 1).concat(items.slice(0, start + 1));
    const next = ordered.find(function (item) {
      return !isDecided(item);
    });
    if (next) {
      focusItem(next);
    } else {
      items.forEach(function (item) {
        item.classList.remove("current");
      });
      current = from;
      save.focus();
    }
  }

  function choose(item, key) {
    const radio = item.querySelector('input[type=radio][data-key="' + key + '"]');
    if (!radio) return;
    if (key === "e") {
      openEditor(item);
      return;
    }
    radio.checked = true;
    refresh();
    advance(item);
  }

  // The editor: one form moved into the item being edited.

  function codePoints(start, end) {
    return text.slice(start, end).join("");
  }

  function showPreview() {
    const start = parseInt(fields.start.value, 10);
    const end = parseInt(fields.end.value, 10);
    fields.preview.textContent =
      Number.isInteger(start) && Number.isInteger(end) && start < end
        ? codePoints(start, end)
        : "";
    fields.type.disabled = fields.label.value !== "entity";
  }

  function openEditor(item) {
    const previous = chosen(item);
    before = previous && previous.value !== "edit" ? previous : null;
    item.querySelector('input[type=radio][value="edit"]').checked = true;
    let values = null;
    try {
      values = JSON.parse(editValue(item) || "null");
    } catch (error) {
      values = null;
    }
    values = values || {
      label: item.dataset.label,
      start: item.dataset.start,
      end: item.dataset.end,
      entity_type: item.dataset.type,
      source: item.dataset.source,
    };
    fields.label.value = values.label;
    fields.type.value = values.entity_type || "";
    fields.start.value = values.start;
    fields.end.value = values.end;
    editor.dataset.source = values.source || "";
    fields.error.textContent = "";
    item.appendChild(editor);
    editor.hidden = false;
    showPreview();
    focusItem(item);
    fields.label.focus();
    refresh();
  }

  function closeEditor() {
    editor.hidden = true;
    form.appendChild(editor);
  }

  function applyEdit() {
    const item = editor.closest(".adj-item");
    if (!item) return;
    const start = parseInt(fields.start.value, 10);
    const end = parseInt(fields.end.value, 10);
    const words = codePoints(start, end);
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end > text.length ||
      start >= end ||
      words.trim() !== words
    ) {
      fields.error.textContent = fields.error.dataset.message;
      fields.start.focus();
      return;
    }
    let input = item.querySelector(".adj-edit-value");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.className = "adj-edit-value";
      input.name = "e-" + item.dataset.item;
      item.appendChild(input);
    }
    const entity = fields.label.value === "entity";
    input.value = JSON.stringify({
      label: fields.label.value,
      start: start,
      end: end,
      entity_type: entity ? fields.type.value || null : null,
      source: entity ? null : editor.dataset.source || null,
    });
    closeEditor();
    refresh();
    advance(item);
  }

  function cancelEdit() {
    const item = editor.closest(".adj-item");
    closeEditor();
    if (!item) return;
    if (!editValue(item)) {
      const edit = item.querySelector('input[type=radio][value="edit"]');
      edit.checked = false;
      if (before) before.checked = true;
    }
    refresh();
    focusItem(item);
  }

  editor.addEventListener("input", showPreview);
  editor.addEventListener("change", showPreview);
  document.getElementById("adj-editor-apply").addEventListener("click", applyEdit);
  document.getElementById("adj-editor-cancel").addEventListener("click", cancelEdit);
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      applyEdit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      cancelEdit();
    }
  });

  // Clicks: a choice decides; "edit" opens the editor.
  form.addEventListener("change", function (event) {
    const radio = event.target;
    if (radio.type !== "radio") return;
    const item = radio.closest(".adj-item");
    if (radio.value === "edit") {
      if (editor.closest(".adj-item") !== item) openEditor(item);
      return;
    }
    if (editor.closest(".adj-item") === item) closeEditor();
    refresh();
    focusItem(item);
  });

  form.addEventListener("submit", function (event) {
    if (refresh() < items.length) {
      event.preventDefault();
      advance(items[items.length - 1]);
      if (progress) progress.textContent = form.dataset.undecidedMessage;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (editor.contains(target)) return;
    if (target.matches && target.matches("input[type=text], input[type=number], select, textarea")) {
      return;
    }
    const key = event.key;
    if (key === "j" || key === "k") {
      event.preventDefault();
      move(key === "j" ? 1 : -1);
      return;
    }
    if (!current) return;
    if (/^[0-9be]$/.test(key)) {
      event.preventDefault();
      choose(current, key);
    }
  });

  refresh();
  const first = items.find(function (item) {
    return !isDecided(item);
  });
  if (first) focusItem(first);
})();
