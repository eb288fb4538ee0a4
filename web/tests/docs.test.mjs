// The API reference (/api/docs) in real headless Chromium against the local
// stack: the document drawn at once as plain HTML, without Swagger UI's
// 1.5 MB of script; Swagger UI, served gzipped from this origin, only when
// asked for. Both under the page's strict policy, with no policy violation
// and nothing fetched from anywhere else.
//
//   node --test web/tests/      (after `cargo build -p local`)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.LOCAL_BIN ?? join(root, 'target', 'debug', 'local');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server;
let base;
let browser;

before(async () => {
  server = spawn(bin, ['serve', '--port', '0', '--db', ':memory:', '--poll-secs', '0'], {
    cwd: root,
    env: { ...process.env, RUST_LOG: 'warn', WEB_DIR: join(root, 'web') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.once('exit', (code) => reject(new Error(`local stack exited early (${code}): ${out}`)));
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve(match[1]);
    });
  });
  server.stdout.resume();
  browser = await chromium.launch({ executablePath: browserPath });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    await new Promise((resolve) => { server.once('exit', resolve); server.kill('SIGINT'); });
  }
});

test('/api/docs draws every operation at once without Swagger UI, and loads Swagger UI when asked, from this origin, with no policy violation', async () => {
  const page = await browser.newPage();
  const problems = [];
  const foreign = [];
  const fetched = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    fetched.push(r.url());
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto(`${base}/api/docs`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], /^default-src 'self'; img-src 'self' data:;/);

  // Drawn at once: every operation of the document, with its method and path.
  const doc = await (await fetch(`${base}/api/openapi.json`)).json();
  const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item)
    .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
    .map((m) => `${m.toUpperCase()} ${path}`));
  await page.locator('details.op').first().waitFor();
  const drawn = await page.$$eval('details.op > summary', (all) => all.map((s) =>
    `${s.querySelector('.method').textContent} ${s.querySelector('.path').textContent}`));
  assert.deepEqual(drawn.sort(), documented.sort());
  // Opened, an operation shows its parameters, documented constraints included.
  const events = page.locator('details#listEvents');
  await events.locator('summary').click();
  const cursor = events.locator('tr[data-param-name="cursor"]');
  await cursor.waitFor();
  assert.match(await events.locator('tr[data-param-name="limit"]').textContent(), /integer, 1 to 100, default 20/);
  assert.ok(!fetched.some((u) => u.includes('swagger-ui')), 'Swagger UI is not loaded until asked for');

  // Asked for: Swagger UI, gzipped, renders the same document.
  const bundle = page.waitForResponse((r) => r.url().endsWith('/api/docs/swagger-ui-bundle.js'));
  await page.click('#interactive');
  const js = await bundle;
  assert.equal(js.headers()['content-encoding'], 'gzip');
  assert.equal(js.headers()['content-type'], 'text/javascript; charset=utf-8');
  const op = page.locator('.opblock-summary', { hasText: '/api/streamers/{login}/events' }).first();
  await op.waitFor();
  assert.match(await op.textContent(), /GET/);
  const paths = await page.locator('.opblock-summary-path').allTextContents();
  for (const p of ['/api/streamers', '/api/live', '/api/streamers/{login}/stats', '/api/openapi.json']) {
    assert.ok(paths.some((t) => t.replace(/\u200b/g, '') === p), `${p} among ${paths.join(', ')}`);
  }
  await op.click();
  await page.locator('.parameters-container tr[data-param-name="cursor"]').first().waitFor();

  assert.deepEqual(await page.evaluate(() => window.violations), []);
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, []);
  await page.close();
});

test('the page links to the API reference', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.click('a[href="/api/docs"]');
  await page.waitForURL(`${base}/api/docs`);
  await page.locator('details.op').first().waitFor();
  await page.close();
});
