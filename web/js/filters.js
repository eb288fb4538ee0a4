// Which kinds of event the feed shows: a checkbox per category, remembered
// per user in this browser (localStorage, keyed by the user's id).

export const CATEGORIES = [
  { id: 'follows', label: 'Follows', types: ['channel.follow'] },
  { id: 'subs', label: 'Subs and gifts', types: ['channel.subscribe', 'channel.subscription.gift', 'channel.subscription.message'] },
  { id: 'cheers', label: 'Cheers', types: ['channel.cheer'] },
  { id: 'raids', label: 'Raids', types: ['channel.raid'] },
  { id: 'redemptions', label: 'Redemptions', types: ['channel.channel_points_custom_reward_redemption.add'] },
  { id: 'hype', label: 'Hype trains', types: ['channel.hype_train.begin', 'channel.hype_train.progress', 'channel.hype_train.end'] },
  { id: 'polls', label: 'Polls and predictions', types: ['channel.poll.begin', 'channel.poll.progress', 'channel.poll.end', 'channel.prediction.begin', 'channel.prediction.progress', 'channel.prediction.lock', 'channel.prediction.end'] },
  { id: 'moderation', label: 'Bans', types: ['channel.ban'] },
  { id: 'chat', label: 'Chat', types: ['channel.chat.message'] },
  { id: 'stream', label: 'Stream and channel', types: ['stream.online', 'stream.offline', 'channel.update'] },
  // Every type not listed above (one this page does not know yet): it still gets a filter.
  { id: 'other', label: 'Other', types: [] },
];

/** The category of an event type (`other` for types not listed). */
export function categoryOf(type) {
  return CATEGORIES.find((c) => c.types.includes(type))?.id ?? 'other';
}

export class Filters {
  /**
   * @param {HTMLElement} container where the checkboxes go
   * @param {(hidden: Set<string>) => void} onChange the hidden categories changed
   */
  constructor(container, onChange) {
    this.container = container;
    this.onChange = onChange;
    this.hidden = new Set();
    this.key = 'streamer-events:filters:anonymous';
  }

  /** Loads the choices remembered for `userId` and draws the checkboxes. */
  use(userId) {
    this.key = `streamer-events:filters:${userId ?? 'anonymous'}`;
    try {
      this.hidden = new Set(JSON.parse(localStorage.getItem(this.key) ?? '[]'));
    } catch {
      this.hidden = new Set();
    }
    this.render();
    this.onChange(this.hidden);
  }

  render() {
    const boxes = CATEGORIES.map((c) => {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'category';
      box.value = c.id;
      box.checked = !this.hidden.has(c.id);
      box.addEventListener('change', () => this.toggle(c.id, box.checked));
      label.append(box, ` ${c.label}`);
      return label;
    });
    this.container.replaceChildren(...boxes);
  }

  toggle(id, shown) {
    if (shown) this.hidden.delete(id);
    else this.hidden.add(id);
    localStorage.setItem(this.key, JSON.stringify([...this.hidden]));
    this.onChange(this.hidden);
  }
}
