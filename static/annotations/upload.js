// The upload preview: keep the counts beside the paragraph checkboxes true as
// the editor ticks and unticks. The form works without this file.
(function () {
  "use strict";

  function update(form) {
    const rows = form.querySelectorAll(".paragraph-list > li");
    if (!rows.length) return;
    let kept = 0;
    let dropped = 0;
    let characters = 0;
    let gap = false;
    rows.forEach(function (row) {
      const box = row.querySelector("input[name=keep]");
      // The same joining as furniture.join: a blank or dropped line between two
      // kept lines is a paragraph break ("\n\n"), else one line break.
      if (row.hasAttribute("data-after-blank")) gap = true;
      if (!box.checked) {
        dropped++;
        gap = true;
        return;
      }
      if (kept) characters += gap ? 2 : 1;
      characters += Number(row.dataset.length);
      kept++;
      gap = false;
    });
    const set = function (selector, value) {
      const el = form.querySelector(selector);
      if (el) el.textContent = String(value);
    };
    set("[data-kept-count]", kept);
    set("[data-dropped-count]", dropped);
    set("[data-kept-characters]", characters);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".paragraph-list input[name=keep]")) {
      update(event.target.form);
    }
  });
})();
