/* What every page's forms share (loaded by base.html; no inline script is allowed).
   - A button or form with data-confirm="question" asks it first; declined, nothing is sent.
   - A form that changes something is sent once: a second click while the next page loads
     would plan, simulate or import twice. Buttons come back when the browser returns here.
   - A form that may be sent either way (compare or delete the selected runs) sends its CSRF
     token only with a POST.
   - A link with data-back goes back in the browser's history. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target, button = event.submitter;
    const question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    const method = (button && button.getAttribute("formmethod")) || form.method;
    form.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.disabled = method.toLowerCase() !== "post";  // a GET would put the token in the address
    });
    if (method.toLowerCase() !== "post") return;
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    form.dataset.sent = "1";
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      form.querySelectorAll('input[name="request_id"]').forEach(function (input) {  // back here: a new request
        input.value = "form_" + crypto.randomUUID().replace(/-/g, "");
      });
      form.dispatchEvent(new Event("change", { bubbles: true }));  // scripts that enable buttons by state recount
    });
  });

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a[data-back]");
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });
})();
