/* The API explorer at /docs (Swagger UI, served by the gateway), started from a file so that
   the page needs no inline script. "Try it out" acts as the signed-in user: a request that
   changes something carries the page's CSRF token in the X-CSRF-Token header. */
(function () {
  "use strict";
  const holder = document.getElementById("swagger-ui");
  const csrf = document.querySelector('input[name="csrf_token"]');
  window.ui = SwaggerUIBundle({
    url: holder.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    requestInterceptor: function (request) {
      if (csrf && !/^(GET|HEAD|OPTIONS)$/i.test(request.method || "GET")) request.headers["X-CSRF-Token"] = csrf.value;
      return request;
    },
  });
})();
