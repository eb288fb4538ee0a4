// The list of events for one streamer: newest first, each message id once
// (backlogs fetched again after a reconnect and redelivered notifications
// overlap with what is shown). Text goes in with textContent only: summaries
// carry chat messages and titles that anyone can write.

const MAX_ITEMS = 200;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export class Feed {
  /** @param {HTMLOListElement} list */
  constructor(list, onChange = () => {}) {
    this.list = list;
    this.onChange = onChange;
    this.ids = new Set();
  }

  clear() {
    this.ids.clear();
    this.list.replaceChildren();
    this.onChange(0);
  }

  get size() {
    return this.ids.size;
  }

  /** Adds an event frame; returns false for one already shown. */
  add(frame) {
    if (this.ids.has(frame.id)) return false;
    this.ids.add(frame.id);
    const item = render(frame);
    // Newest first by arrival time; the backlog comes oldest first and live
    // events may interleave with it, so find the place rather than prepend.
    let before = this.list.firstElementChild;
    while (before && Number(before.dataset.receivedAt) > frame.received_at) {
      before = before.nextElementSibling;
    }
    this.list.insertBefore(item, before);
    while (this.list.childElementCount > MAX_ITEMS) {
      const last = this.list.lastElementChild;
      this.ids.delete(last.dataset.id);
      last.remove();
    }
    this.onChange(this.ids.size);
    return true;
  }
}

function render(frame) {
  const item = document.createElement('li');
  item.dataset.id = frame.id;
  item.dataset.type = frame.event_type;
  item.dataset.receivedAt = String(frame.received_at);
  if (!frame.backlog) item.classList.add('new');

  const time = document.createElement('time');
  const at = new Date(frame.received_at);
  time.dateTime = at.toISOString();
  time.textContent = timeFormat.format(at);

  const type = document.createElement('span');
  type.className = 'type';
  type.textContent = frame.event_type;

  const summary = document.createElement('span');
  summary.className = 'summary';
  summary.textContent = frame.summary?.text ?? frame.event_type;

  item.append(time, type, summary);
  return item;
}
