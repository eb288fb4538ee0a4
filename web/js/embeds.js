// Twitch's player and chat for the watched streamer, beside the feed.
// Twitch only serves the embeds to a page whose bare hostname is listed as
// `parent` (no scheme, no port, never an IP address), so the page says why
// instead of showing a broken frame when it cannot work.

const IP = /^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-f:]+\]?)$/i;

/** Why the embeds cannot be shown on this page, or null when they can. */
export function embedProblem({ hostname, enabled }) {
  if (!enabled) {
    return 'The player and chat need real Twitch channels; this stack talks to its Twitch simulator.';
  }
  if (IP.test(hostname)) {
    return `Twitch refuses to embed its player in a page opened by IP address (${hostname}); open this page by its host name (e.g. localhost).`;
  }
  return null;
}

/** The player's and chat's frame URLs for `login` on a page at `hostname`. */
export function embedUrls(login, hostname, dark) {
  const channel = encodeURIComponent(login);
  const parent = encodeURIComponent(hostname);
  return {
    player: `https://player.twitch.tv/?channel=${channel}&parent=${parent}&muted=true&autoplay=true`,
    chat: `https://www.twitch.tv/embed/${channel}/chat?parent=${parent}${dark ? '&darkpopout' : ''}`,
  };
}

/** Shows `login`'s player and chat in `container`, or the reason they cannot be. */
export function showEmbeds(container, login, { hostname = location.hostname, enabled = true } = {}) {
  container.hidden = !login;
  container.dataset.login = login ?? '';
  if (!login) {
    container.replaceChildren();
    return;
  }
  const problem = embedProblem({ hostname, enabled });
  if (problem) {
    const note = document.createElement('p');
    note.id = 'embed-note';
    note.className = 'embed-note';
    note.textContent = problem;
    container.replaceChildren(note);
    return;
  }
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const urls = embedUrls(login, hostname, dark);
  const player = document.createElement('iframe');
  player.id = 'player';
  player.title = `${login}'s stream`;
  player.src = urls.player;
  player.allowFullscreen = true;
  player.setAttribute('allow', 'autoplay; fullscreen');
  const chat = document.createElement('iframe');
  chat.id = 'chat';
  chat.title = `${login}'s chat`;
  chat.src = urls.chat;
  container.replaceChildren(player, chat);
}
