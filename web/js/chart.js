// A small line chart of viewers over time, drawn as SVG (no library, no build
// step). Points are the poller's snapshots for the selected streamer.

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** Draws `points` ([{t: ms, v: viewers}], oldest first) into `svg`. */
export function drawViewers(svg, points) {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.dataset.points = String(points.length);
  if (points.length === 0) {
    svg.append(el('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'empty' }, 'No snapshots yet'));
    return;
  }
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1);
  const vMax = Math.max(1, ...points.map((p) => p.v));
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v / vMax) * (HEIGHT - PAD.top - PAD.bottom);

  svg.append(el('line', { x1: PAD.left, y1: y(0), x2: WIDTH - PAD.right, y2: y(0), class: 'axis' }));
  for (const v of [0, vMax / 2, vMax]) {
    svg.append(el('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'label' }, Math.round(v).toLocaleString()));
  }
  for (const t of [t0, t1]) {
    svg.append(el('text', { x: x(t), y: HEIGHT - 8, 'text-anchor': t === t0 ? 'start' : 'end', class: 'label' }, clock.format(new Date(t))));
  }
  const path = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  svg.append(el('polyline', { points: path, class: 'line' }));
  if (points.length === 1) svg.append(el('circle', { cx: x(points[0].t), cy: y(points[0].v), r: 3, class: 'dot' }));
}

/** Fills `table` with per-type totals ({type: count}), most frequent first. */
export function drawCounts(table, totals) {
  const rows = Object.entries(totals).sort((a, b) => b[1] - a[1]);
  table.replaceChildren();
  table.dataset.types = String(rows.length);
  for (const [type, count] of rows) {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = type;
    const n = document.createElement('td');
    n.textContent = count.toLocaleString();
    tr.append(name, n);
    table.append(tr);
  }
}
