// Lighthouse's four category scores for the page (logged out, then logged in
// through the simulated Twitch with a favourite and some events), the alert
// overlay and the API reference, on a running local stack:
//   node scripts/lighthouse.mjs http://127.0.0.1:PORT [out-dir]   (LIGHTHOUSE_FORM=mobile: the phone preset)
// scripts/lighthouse.sh starts the stack and calls this. Headless Chromium
// (CHROMIUM, default /usr/bin/chromium) driven by playwright-core for the
// login; Lighthouse (LIGHTHOUSE: a path to its module, default the pinned
// npm package) audits the same browser, keeping its cookies; LOCAL_BIN (the
// stack's binary) sends the events the overlay shows while it is audited. Writes each
// report as JSON to out-dir when given; prints one line of scores per page.
import { chromium } from 'playwright-core';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const [base, outDir] = process.argv.slice(2);
if (!base) throw new Error('usage: node scripts/lighthouse.mjs http://127.0.0.1:PORT [out-dir]');
const lhModule = process.env.LIGHTHOUSE ? pathToFileURL(process.env.LIGHTHOUSE).href : 'lighthouse';
const { default: lighthouse, snapshot } = await import(lhModule);
// Lighthouse's own puppeteer-core, for the overlay's snapshot.
const puppeteerPath = createRequire(new URL(lhModule, import.meta.url)).resolve('puppeteer-core');
const { default: puppeteer } = await import(pathToFileURL(puppeteerPath).href);

/** A free loopback port for Chromium's DevTools endpoint. */
const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const port = await freePort();
// A persistent context is the browser's default one: the tabs Lighthouse
// opens share its cookies (the login), unlike a context from newContext().
const profile = await mkdtemp(join(tmpdir(), 'lighthouse-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [`--remote-debugging-port=${port}`, '--remote-debugging-address=127.0.0.1'],
});
const page = await context.newPage();
const categories = ['performance', 'accessibility', 'best-practices', 'seo'];
const results = [];

// LIGHTHOUSE_FORM=mobile: a phone on a slow 4G network with a 4× slower CPU
// (Lighthouse's own mobile preset, simulated); the default, desktop: as a
// person at a desk opens it, on loopback, no throttling model.
const mobile = process.env.LIGHTHOUSE_FORM === 'mobile';
const settings = {
  output: 'json',
  logLevel: 'error',
  onlyCategories: categories,
  // Keep the login cookie.
  disableStorageReset: true,
  ...(mobile
    ? {
      formFactor: 'mobile',
      screenEmulation: { mobile: true, width: 412, height: 823, deviceScaleFactor: 1.75, disabled: false },
      throttlingMethod: 'simulate',
    }
    : {
      formFactor: 'desktop',
      screenEmulation: { mobile: false, width: 1350, height: 940, deviceScaleFactor: 1, disabled: false },
      throttlingMethod: 'provided',
    }),
};

/** Prints (and keeps) the scores of one report; `null` where not measured. */
async function report(name, lhr, measured = categories) {
  if (lhr.runtimeError) throw new Error(`${name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const scores = Object.fromEntries(categories.map((c) => [c, measured.includes(c) && lhr.categories[c]
    ? Math.round((lhr.categories[c].score ?? 0) * 100) : null]));
  const failing = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && !['informative', 'notApplicable', 'manual'].includes(a.scoreDisplayMode))
    .map((a) => a.id);
  results.push({ name, scores });
  console.log(`${name.padEnd(16)} ${categories.map((c) => `${c} ${scores[c] ?? 'n/a'}`).join('  ')}${failing.length ? `   (below 90: ${failing.join(', ')})` : ''}`);
  if (outDir) await writeFile(join(outDir, `${name}.json`), JSON.stringify(lhr));
}

/** A navigation report: the page loaded afresh in the browser. */
async function audit(name, url) {
  const { lhr } = await lighthouse(url, { port, ...settings });
  await report(name, lhr);
}

try {
  await audit('main-logged-out', `${base}/`);
  await page.goto(`${base}/`);
  await page.click('#login');
  await page.click('#authorize');
  await page.waitForSelector('#logged-in:visible');
  await page.fill('#favourite', 'user777');
  await page.click('#add-favourite button');
  await page.waitForSelector('#favourites li[data-id="777"]');
  await page.click('#favourites li[data-id="777"] .overlay');
  await page.waitForSelector('#overlay-box:visible');
  const overlay = await page.inputValue('#overlay-url');
  // With a streamer open and its events in the feed and the charts.
  await audit('main-logged-in', `${base}/#777`);
  // The overlay is transparent until an alert shows, so a page load paints
  // nothing (Lighthouse: NO_FCP) and has no performance score: it is
  // audited as a snapshot while an alert is on screen, events arriving.
  let feeding = true;
  const feed = (async () => {
    while (feeding) {
      await promisify(execFile)(process.env.LOCAL_BIN, ['trigger', 'channel.raid', '--to', `${base}/eventsub`, '--broadcaster', '777']);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  const remote = await puppeteer.connect({ browserURL: `http://127.0.0.1:${port}` });
  try {
    const obs = await remote.newPage();
    await obs.setViewport(mobile ? { width: 412, height: 823 } : { width: 1350, height: 940 });
    await obs.goto(`${overlay}&duration=5`);
    await obs.waitForSelector('#alert:not([hidden])', { timeout: 30000 });
    const flow = await snapshot(obs, { flags: settings });
    await report('overlay', flow.lhr, ['accessibility', 'best-practices', 'seo']);
  } finally {
    feeding = false;
    await feed;
    remote.disconnect();
  }
  await audit('api-docs', `${base}/api/docs`);
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
