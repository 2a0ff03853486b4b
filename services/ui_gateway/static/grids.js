/* Grids of a plan (templates/_grid.html): the filter box hides, as one types, the row groups of the
   page shown whose family, item or note does not contain the text (any case). Enter sends the box:
   the server searches every group and pages the matches. */
(function () {
  "use strict";
  document.querySelectorAll("[data-grid]").forEach(function (view) {
    const box = view.querySelector("[data-grid-filter]");
    const table = view.querySelector("[data-grid-table]");
    if (!box || !table) return;
    const count = view.querySelector("[data-grid-count]");
    const hint = view.querySelector("[data-grid-hint]");
    const groups = Array.from(table.tBodies).filter((body) => body.dataset.search !== undefined);
    const served = box.value.trim().toLowerCase();
    const paged = Number(view.dataset.pages || "1") > 1;
    const original = count ? count.textContent : "";

    function filter() {
      const needle = box.value.trim().toLowerCase();
      let shown = 0;
      groups.forEach(function (body) {
        const keep = !needle || body.dataset.search.includes(needle);
        body.hidden = !keep;
        if (keep) shown += 1;
      });
      if (count) count.textContent = needle === served ? original : shown + " of " + groups.length + " shown";
      if (hint) hint.hidden = needle === served || !(paged || served);
    }

    box.addEventListener("input", filter);
    box.addEventListener("search", filter);
  });
})();
