// The review queue from the keyboard: j / k move between rows, a approves the
// row in focus, r opens its reasons with the first one focused (digits pick one,
// Enter rejects, Escape cancels). After a decision the next row takes the focus.
// Without this file every button and form still works.
(function () {
  "use strict";

  // The id of the row last moved to: htmx replaces the element itself.
  let currentId = null;
  // Set when a decision is sent, so its answer moves the focus on.
  let deciding = null;

  function rows() {
    return Array.from(document.querySelectorAll(".review-row"));
  }

  function currentRow() {
    const active = document.activeElement;
    const row = active && active.closest ? active.closest(".review-row") : null;
    return row || (currentId && document.getElementById(currentId)) || null;
  }

  function focusRow(row) {
    if (!row) return;
    document.querySelectorAll(".review-row.current").forEach(function (el) {
      if (el !== row) el.classList.remove("current");
    });
    row.classList.add("current");
    currentId = row.id;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const row = currentRow();
    let index = row ? all.indexOf(row) + step : step > 0 ? 0 : all.length - 1;
    index = Math.max(0, Math.min(all.length - 1, index));
    focusRow(all[index]);
  }

  // The next row still waiting for a decision, after ``row``.
  function nextPending(row) {
    const all = rows();
    for (let i = all.indexOf(row) + 1; i < all.length; i++) {
      if (all[i].classList.contains("status-pending")) return all[i];
    }
    return null;
  }

  function radios(form) {
    return Array.from(form.querySelectorAll("input[name=preset]"));
  }

  function openReject(row) {
    const details = row && row.querySelector("details.reject");
    if (!details) return;
    details.open = true;
    const first = radios(details)[0];
    (first || details.querySelector("input[name=reason]")).focus();
  }

  function closeReject(form) {
    const details = form.closest("details");
    const row = form.closest(".review-row");
    if (details) details.open = false;
    focusRow(row);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    const rejectForm = target.closest && target.closest(".reject-form");
    if (rejectForm) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeReject(rejectForm);
      } else if (event.key === "Enter" && target.matches("input[type=radio]")) {
        // The focused reason is the one meant, picked or not.
        event.preventDefault();
        target.checked = true;
        rejectForm.requestSubmit();
      } else if (/^[1-9]$/.test(event.key) && !target.matches("input[type=text]")) {
        const choice = radios(rejectForm)[Number(event.key) - 1];
        if (choice) {
          event.preventDefault();
          choice.checked = true;
          choice.focus();
        }
      }
      return;
    }
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const row = currentRow();
    if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    } else if (event.key === "a" && row) {
      const approve = row.querySelector("form.approve-form");
      if (!approve) return;
      approve.requestSubmit();
    } else if (event.key === "r" && row) {
      openReject(row);
    } else {
      return;
    }
    event.preventDefault();
  });

  document.addEventListener("focusin", function (event) {
    const row = event.target.closest && event.target.closest(".review-row");
    if (row && row.id !== currentId) {
      document.querySelectorAll(".review-row.current").forEach(function (el) {
        el.classList.remove("current");
      });
      row.classList.add("current");
      currentId = row.id;
    }
  });

  document.addEventListener("click", function (event) {
    const next = event.target.closest("[data-review-next]");
    if (next) {
      focusRow(next.closest(".review-row"));
      move(1);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    const row = event.target.closest && event.target.closest(".review-row");
    if (row && event.target.matches("form")) deciding = row.id;
  });

  // A decided row comes back as a new element. When the decision went through,
  // the next pending row takes the focus; when it did not, the row keeps it.
  document.addEventListener("htmx:afterSettle", function () {
    const row = currentId && document.getElementById(currentId);
    const decidedId = deciding;
    deciding = null;
    if (row && decidedId === row.id && !row.classList.contains("status-pending")) {
      const next = nextPending(row);
      if (next) {
        focusRow(next);
        return;
      }
    }
    const active = document.activeElement;
    if (row && (!active || active === document.body)) focusRow(row);
  });
})();
