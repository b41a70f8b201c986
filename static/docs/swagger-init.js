// Starts Swagger UI on the spec named by this script tag's data-spec-url.
(function () {
  var specUrl = document.currentScript.getAttribute("data-spec-url");
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: specUrl,
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
    });
  });
})();
