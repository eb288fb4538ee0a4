// The API reference: /api/openapi.json drawn as plain HTML at once (this
// file is a few KB), and Swagger UI's interactive view, with "Try it out",
// only when asked for: its 1.5 MB of script kept the main thread busy for
// seconds on every visit. A file of its own, not an inline script: the
// page's policy allows scripts from this origin only.
/* global SwaggerUIBundle */

const $ = (id) => document.getElementById(id);
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** An element with attributes and children (strings become text, never HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== ''));
  return node;
}

/** `$ref: '#/components/x/Name'` → the object it names. */
function resolve(doc, value) {
  if (!value || !value.$ref) return value;
  return value.$ref.slice(2).split('/').reduce((at, key) => at?.[key], doc) ?? value;
}

/** A schema in a few words: its type and its constraints. */
function schemaWords(doc, schema) {
  const s = resolve(doc, schema) ?? {};
  if (schema?.$ref) return schema.$ref.split('/').pop();
  const words = [s.type === 'array' ? `array of ${schemaWords(doc, s.items)}` : (s.type ?? 'any')];
  if (s.enum) words.push(`one of ${s.enum.join(', ')}`);
  if (s.minimum !== undefined || s.maximum !== undefined) words.push(`${s.minimum ?? '…'} to ${s.maximum ?? '…'}`);
  if (s.pattern) words.push(`matching ${s.pattern}`);
  if (s.default !== undefined) words.push(`default ${s.default}`);
  return words.join(', ');
}

/** Backticked words as code, the rest as text. */
function prose(text) {
  const p = el('p');
  String(text ?? '').split('`').forEach((part, i) => p.append(i % 2 ? el('code', {}, part) : part));
  return p;
}

function parameters(doc, op) {
  const list = (op.parameters ?? []).map((p) => resolve(doc, p));
  if (list.length === 0) return null;
  const rows = list.map((p) => el('tr', { 'data-param-name': p.name },
    el('th', { scope: 'row' }, el('code', {}, p.name), p.required ? ' (required)' : ''),
    el('td', {}, p.in),
    el('td', {}, schemaWords(doc, p.schema)),
    el('td', {}, prose(p.description))));
  return el('table', { class: 'params' },
    el('caption', {}, 'Parameters'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Name'), el('th', { scope: 'col' }, 'In'),
      el('th', { scope: 'col' }, 'Type'), el('th', { scope: 'col' }, 'Meaning'))),
    el('tbody', {}, ...rows));
}

function responses(doc, op) {
  const items = Object.entries(op.responses ?? {}).map(([status, r]) => el('li', {},
    el('code', {}, status), ' ', resolve(doc, r)?.description ?? ''));
  return el('div', { class: 'responses' }, el('h4', {}, 'Answers'), el('ul', {}, ...items));
}

function operation(doc, path, method, op) {
  const id = op.operationId ?? `${method}-${path}`;
  return el('details', { class: 'op', id },
    el('summary', {},
      el('span', { class: `method ${method}` }, method.toUpperCase()), ' ',
      el('code', { class: 'path' }, path), ' ',
      el('span', { class: 'what' }, op.summary ?? '')),
    op.description ? prose(op.description) : null,
    parameters(doc, op),
    responses(doc, op));
}

/** Every operation, grouped by its first tag in the document's order of tags. */
function render(doc) {
  const groups = new Map((doc.tags ?? []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const name = op.tags?.[0] ?? 'other';
      if (!groups.has(name)) groups.set(name, { tag: { name }, ops: [] });
      groups.get(name).ops.push(operation(doc, path, method, op));
    }
  }
  const sections = [...groups.values()].filter((g) => g.ops.length > 0).map((g) => el('section', {},
    el('h2', {}, g.tag.name), g.tag.description ? prose(g.tag.description) : null, ...g.ops));
  $('reference').replaceChildren(
    el('h1', {}, `${doc.info?.title ?? 'API'} `, el('small', {}, doc.info?.version ?? '')),
    doc.info?.description ? prose(doc.info.description) : null,
    ...sections);
}

/** Swagger UI, loaded now: its stylesheet, its script, then the render. */
function interactive() {
  $('interactive').disabled = true;
  $('interactive').textContent = 'Loading the interactive reference…';
  document.head.append(el('link', { rel: 'stylesheet', href: 'docs/swagger-ui.css' }),
    el('link', { rel: 'stylesheet', href: 'docs/docs.css' }));
  const script = el('script', { src: 'docs/swagger-ui-bundle.js' });
  script.addEventListener('load', () => {
    if (matchMedia('(prefers-color-scheme: dark)').matches) document.documentElement.classList.add('dark-mode');
    $('interactive').hidden = true;
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
  });
  document.head.append(script);
}

async function main() {
  $('interactive').addEventListener('click', interactive);
  // A link to an operation Swagger UI drew (#/read/listEvents) opens it there.
  if (location.hash.startsWith('#/')) {
    interactive();
    return;
  }
  try {
    const response = await fetch('openapi.json');
    render(await response.json());
  } catch (error) {
    $('reference').replaceChildren(prose(`Could not read the document (${error}); it is at /api/openapi.json.`));
  }
}

main();
