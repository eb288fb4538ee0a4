// The overlay box's settings and remote control: what the alert overlay in
// OBS shows (kept on the server, so its URL never changes), a test alert,
// and its queue (replay the last alert, skip the one showing, pause).
// Labels come from the server; text goes in with textContent only.

import { knownTypes, labelOf, loadLabels } from './labels.js';

const $ = (id) => document.getElementById(id);

async function send(method, url, body) {
  const response = await fetch(url, {
    method,
    cache: 'no-store',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  return { ok: response.ok, body: answer };
}

/** How many open overlays heard it, in words. */
function reached(count, done) {
  if (count > 0) return `${done} ${count === 1 ? 'The overlay' : `All ${count} overlays`} open with this URL changed at once.`;
  return `${done} No overlay is open with this URL right now: OBS picks this up when it loads it.`;
}

export class OverlayPanel {
  constructor() {
    this.login = null;
    this.paused = false;
    $('overlay-settings').addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    $('overlay-test').addEventListener('click', () => this.test());
    $('overlay-replay').addEventListener('click', () => this.control('replay', 'Replayed the last alert.'));
    $('overlay-skip').addEventListener('click', () => this.control('skip', 'Skipped the alert on screen.'));
    $('overlay-pause').addEventListener('click', () => this.togglePause());
    $('copy-dock').addEventListener('click', () => this.copy('dock-url'));
  }

  get base() {
    return `api/me/favourites/${encodeURIComponent(this.login)}/overlay`;
  }

  /** Shows the settings of `login`'s overlay, and its dock URL beside `overlayUrl`. */
  async open(login, overlayUrl) {
    this.login = login;
    $('dock-url').value = overlayUrl.replace('/overlay.html#', '/dock.html#');
    this.note('');
    await loadLabels();
    const { ok, body } = await send('GET', `${this.base}/settings`);
    if (ok) this.fill(body.settings);
    else this.note(body?.message ?? 'Could not read the overlay settings.');
  }

  fill(settings) {
    const boxes = knownTypes().filter((t) => t.tracked).map((t) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'types';
      box.value = t.type;
      box.checked = settings.types.includes(t.type);
      label.append(box, ` ${t.label}`);
      return label;
    });
    $('overlay-types').replaceChildren(...boxes);
    const form = $('overlay-settings');
    for (const name of ['min_bits', 'min_viewers', 'min_gifts', 'duration_s', 'volume']) {
      form.elements[name].value = settings[name];
    }
    form.elements.sound.checked = settings.sound;
    form.elements.alert_recovered.checked = settings.alert_recovered === true;
    form.elements.position.value = settings.position;
    this.fillTests(settings.types);
  }

  /** The test alert's choices: the types this overlay alerts on. */
  fillTests(types) {
    const options = (types.length ? types : ['channel.follow']).map((type) => {
      const option = document.createElement('option');
      option.value = type;
      option.textContent = labelOf(type) ?? type;
      return option;
    });
    $('overlay-test-type').replaceChildren(...options);
  }

  read() {
    const form = $('overlay-settings');
    const number = (name) => Number(form.elements[name].value);
    return {
      types: [...form.querySelectorAll('input[name="types"]:checked')].map((b) => b.value),
      min_bits: number('min_bits'),
      min_viewers: number('min_viewers'),
      min_gifts: number('min_gifts'),
      duration_s: number('duration_s'),
      sound: form.elements.sound.checked,
      alert_recovered: form.elements.alert_recovered.checked,
      volume: number('volume'),
      position: form.elements.position.value,
    };
  }

  async save() {
    const { ok, body } = await send('PUT', `${this.base}/settings`, this.read());
    if (!ok) {
      this.note(body?.message ? `Not saved: ${body.message}` : 'Not saved: try again.');
      return;
    }
    this.fill(body.settings);
    this.note(reached(body.overlays_reached, 'Saved.'));
  }

  async test() {
    const type = $('overlay-test-type').value || 'channel.follow';
    const { ok, body } = await send('POST', `${this.base}/test`, { type });
    if (!ok) this.note(body?.message ?? 'Could not send a test alert.');
    else if (body.overlays_reached === 0) this.note('No overlay is open with this URL right now: add it to OBS (or open it in a tab), then send the test again.');
    else this.note(`Test alert sent: ${labelOf(type) ?? type}.`);
  }

  async control(action, done) {
    const { ok, body } = await send('POST', `${this.base}/control`, { action });
    if (!ok) this.note(body?.message ?? 'Could not reach the overlay.');
    else if (body.overlays_reached === 0) this.note('No overlay is open with this URL right now.');
    else this.note(done);
    return ok && body.overlays_reached > 0;
  }

  async togglePause() {
    const action = this.paused ? 'resume' : 'pause';
    const done = this.paused ? 'Alerts play again.' : 'Alerts wait: new ones queue until you resume.';
    if (await this.control(action, done)) {
      this.paused = !this.paused;
      $('overlay-pause').textContent = this.paused ? 'Resume alerts' : 'Pause alerts';
    }
  }

  async copy(id) {
    const field = $(id);
    try {
      await navigator.clipboard.writeText(field.value);
      this.note('Copied.');
    } catch {
      field.select();
      this.note('Press Ctrl+C (⌘C) to copy.');
    }
  }

  note(text) {
    $('overlay-settings-note').textContent = text;
  }
}
