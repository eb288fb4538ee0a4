// Renders /api/openapi.json with Swagger UI (loaded before this file). A file
// of its own, not an inline script: the page's policy allows scripts from this
// origin only.
/* global SwaggerUIBundle */
if (matchMedia('(prefers-color-scheme: dark)').matches) {
  document.documentElement.classList.add('dark-mode');
}
SwaggerUIBundle({
  url: new URL('openapi.json', location.href).href,
  dom_id: '#reference',
  // "Try it out" for the read API's GETs only; nothing that changes state.
  supportedSubmitMethods: ['get'],
  // Swagger UI would otherwise send the document to an outside validator.
  validatorUrl: null,
  deepLinking: true,
  // Swagger UI's server picker has a caption but no label of its own.
  onComplete: () => document.getElementById('servers')?.setAttribute('aria-label', 'Server'),
});
