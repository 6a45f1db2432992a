import { SessionClientError, type SessionItem } from 'nestjs-session-auth-client';
import type { UserView } from './api.js';
import { deviceLabel } from './device-item.js';
import { deviceList } from './device-list.js';
import { h } from './dom.js';
import { liveIndicator } from './live-indicator.js';
import { message, messageOf, show } from './notices.js';
import type { Page } from './page.js';

/** How often the device list is re-read (and relative times move on) while the tab is visible. */
const RESYNC_MS = 30_000;
const CONFIRMATION_MS = 8_000;

/**
 * "Your devices": the list with live updates, and the sign-out actions. Returns what has to be
 * released when another view replaces it.
 */
export function renderDevicesView(page: Page): () => void {
  const { client } = page;
  const signedIn = (): boolean => client.state.get().status === 'signed-in';
  const heading = h('h1', { id: 'view-title', tabindex: '-1' }, 'Your devices');
  const who = h('p', { class: 'who' }, ' ');
  const live = liveIndicator();
  const alert = message('alert');
  const status = message('status');
  const list = deviceList({ signOut: signOutDevice, onFocusLost: () => heading.focus() });
  const othersButton = h(
    'button',
    { type: 'button', class: 'secondary' },
    'Sign out all other devices',
  );
  const thisButton = h('button', { type: 'button', class: 'danger' }, 'Sign out of this device');

  // Confirmations go away by themselves; they would soon be out of date.
  let statusTimer: ReturnType<typeof setTimeout> | undefined;
  const confirmDone = (text: string): void => {
    show(status, text);
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => show(status, ''), CONFIRMATION_MS);
  };

  const load = async (): Promise<void> => {
    const at = list.version;
    try {
      const loaded = await client.sessions();
      if (at === list.version) list.render(loaded);
    } catch (error) {
      if (signedIn()) show(alert, `Could not load your devices. ${messageOf(error)}`);
    }
  };

  const without = (id: string): SessionItem[] => list.sessions.filter((s) => s.id !== id);
  const nameOf = (id: string): string => {
    const session = list.sessions.find((s) => s.id === id);
    return session ? deviceLabel(session) : 'another device';
  };

  async function signOutDevice(session: SessionItem, button: HTMLButtonElement): Promise<void> {
    if (button.getAttribute('aria-disabled') === 'true') return;
    button.setAttribute('aria-disabled', 'true');
    show(alert, '');
    try {
      await client.signOutDevice(session.id);
      list.render(without(session.id));
      confirmDone(`Signed out ${deviceLabel(session)}.`);
    } catch (error) {
      if (error instanceof SessionClientError && error.code === 'SESSION_NOT_FOUND') {
        list.render(without(session.id));
      } else if (signedIn()) {
        show(alert, messageOf(error));
      }
    } finally {
      button.removeAttribute('aria-disabled');
    }
  }

  othersButton.addEventListener('click', async () => {
    show(alert, '');
    const others = list.sessions.filter((s) => !s.current).length;
    try {
      await client.signOutOthers();
      list.render(list.sessions.filter((s) => s.current));
      confirmDone(others ? 'Signed out all other devices.' : 'No other devices were signed in.');
    } catch (error) {
      if (signedIn()) show(alert, messageOf(error));
    }
  });

  thisButton.addEventListener('click', () => void client.signOut());

  const listeners = [
    client.on('connection', live.show),
    client.on('sessionNew', ({ session }) => {
      show(status, ''); // "Signed out <name>" is out of date once a device signs in again
      if (!list.sessions.some((s) => s.id === session.id)) list.render([...list.sessions, session]);
    }),
    // Pushed after every change, and reloaded by the client after every (re)connect.
    client.on('sessionsUpdated', ({ sessions: next }) => list.render(next)),
    client.on('theftDetected', ({ sessionId, current }) => {
      if (current) return; // the client signs this device out; the sign-in form says why
      show(
        alert,
        `Suspicious activity: the sign-in token of “${nameOf(sessionId)}” was used twice, so that device was ` +
          'signed out for safety. If that was not you, change your password.',
      );
      list.render(without(sessionId));
    }),
  ];

  // "Last active 5 minutes ago" has to move on by itself. The list is also re-read now and then
  // and whenever the tab comes back into view: a pushed event can be missed (e.g. while Redis is
  // down, instances only reach their own sockets).
  const ticker = setInterval(() => {
    list.refresh();
    if (document.visibilityState === 'visible') void load();
  }, RESYNC_MS);
  const onVisible = () => document.visibilityState === 'visible' && void load();
  document.addEventListener('visibilitychange', onVisible);
  const teardown = () => {
    listeners.forEach((off) => off());
    clearInterval(ticker);
    clearTimeout(statusTimer);
    document.removeEventListener('visibilitychange', onVisible);
  };

  void client
    .fetch('/me')
    .then((response) => (response.ok ? (response.json() as Promise<UserView>) : Promise.reject()))
    .then(
      (user) =>
        (who.textContent = `Signed in as ${user.name ? `${user.name} (${user.email})` : user.email}`),
    )
    .catch(() => undefined);
  void load();

  page.root.replaceChildren(
    h(
      'section',
      { class: 'devices-view', 'aria-labelledby': 'view-title' },
      h('div', { class: 'devices-header' }, h('div', {}, heading, who), live.element),
      alert,
      status,
      list.element,
      h('div', { class: 'actions' }, othersButton, thisButton),
    ),
  );
  heading.focus();
  return teardown;
}
