/* Run history: compare needs two selected runs and delete one; until then the buttons are off
   and say why. The delete button is there only for a role that may delete runs. */
(function () {
  "use strict";
  const form = document.getElementById("run-select");
  if (!form) return;
  const compare = document.getElementById("compare-selected");
  const remove = document.getElementById("delete-selected");

  function update() {
    const n = form.querySelectorAll('input[name="run_id"]:checked').length;
    compare.disabled = n < 2;
    compare.title = n < 2 ? "Select at least two runs to compare" : "";
    if (remove) {
      remove.disabled = n < 1;
      remove.title = n < 1 ? "Select the runs to delete" : "";
    }
  }

  form.addEventListener("change", update);
  update();
})();
