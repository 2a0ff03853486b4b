/* The scenario page's "Add a what-if" form shows the fields and the help of the chosen type only;
   the other fields are disabled, so they are not sent. Without this script every field shows and
   the gateway says which ones the type does not take. */
(function () {
  "use strict";

  function show(form) {
    const type = form.querySelector('select[name="type"]').value;
    form.querySelectorAll("[data-types]").forEach(function (element) {
      const taken = element.dataset.types.split(" ").indexOf(type) >= 0;
      element.hidden = !taken;
      element.querySelectorAll("input, select").forEach(function (input) { input.disabled = !taken; });
    });
  }

  document.querySelectorAll("form[data-override-form]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "type") show(form);
    });
    show(form);
  });
})();
