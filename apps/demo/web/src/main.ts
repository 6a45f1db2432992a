import './styles.css';
import {
  type ConnectionStatus,
  createSessionClient,
  SessionClientError,
  type SessionItem,
  type SignedOutReason,
} from 'nestjs-session-auth-client';
import { io } from 'socket.io-client';
import type { SignedIn, UserView } from './api.js';
import { describeThisBrowser } from './device-name.js';
import { h, srOnly } from './dom.js';
import { dateTime, timeAgo } from './format.js';

/**
 * The device page: sign in / sign up, then "Your devices" with live updates over socket.io. Tokens,
 * refreshes, tabs and the socket are the business of nestjs-session-auth-client; this file is the UI.
 * Accessible names follow DESIGN.md ("Device page"); tests and screen readers rely on them.
 */

type Notice = { kind: 'alert' | 'status'; text: string };
type AuthMode = 'sign-in' | 'sign-up';

const app = document.getElementById('app')!;
/** How often the device list is re-read (and relative times move on) while the tab is visible. */
const RESYNC_MS = 30_000;
const CONFIRMATION_MS = 8_000;
const thisBrowser = describeThisBrowser();

/** Whatever the current view needs to release when another one replaces it. */
let teardown: (() => void) | undefined;
let authMode: AuthMode | undefined;

const client = createSessionClient({ socket: { io } });
/** The session the devices view shows, so a refreshed token does not rebuild it. */
let shownSession: string | undefined;

client.state.subscribe((state) => {
  if (state.status === 'signed-in') {
    if (shownSession !== state.sessionId) showDevices(state.sessionId);
  } else if (state.status === 'signed-out') {
    shownSession = undefined;
    showAuth('sign-in', state.reason && noticeFor(state.reason));
  }
});

client.restore().catch((error: unknown) => {
  // A refused session already shows the sign-in form; this is offline / server trouble.
  if (error instanceof SessionClientError && error.transient) {
    showAuth('sign-in', { kind: 'alert', text: messageOf(error) });
  }
});

const signedIn = (): boolean => client.state.get().status === 'signed-in';

// --- sign in / sign up ------------------------------------------------------------------------

function showAuth(mode: AuthMode, notice?: Notice): void {
  if (authMode === mode && !notice) return; // already there: keep what the user typed
  const firstView = !app.querySelector('section');
  replaceView(undefined);
  authMode = mode;

  const alert = message('alert');
  const status = message('status');
  const heading = h('h1', { tabindex: '-1' }, mode === 'sign-in' ? 'Sign in' : 'Create an account');
  const fields =
    mode === 'sign-in'
      ? [
          field('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
          field('password', 'Password', {
            type: 'password',
            autocomplete: 'current-password',
            required: true,
          }),
        ]
      : [
          field('name', 'Name', { type: 'text', autocomplete: 'name', maxlength: 100 }),
          field('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
          field('password', 'Password', {
            type: 'password',
            autocomplete: 'new-password',
            required: true,
            minlength: 8,
            hint: 'At least 8 characters.',
          }),
        ];
  // Not called "Device name": on the sign-up form a label containing "Name" twice would be ambiguous.
  const device = field('deviceName', 'Device (optional)', {
    type: 'text',
    maxlength: 100,
    placeholder: thisBrowser,
    hint: `How this device appears in your list. Leave empty for “${thisBrowser}”.`,
  });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary' },
    mode === 'sign-in' ? 'Sign in' : 'Create account',
  );
  const form = h('form', { novalidate: true, class: 'card' }, ...fields, device, submit);
  const other =
    mode === 'sign-in'
      ? h(
          'p',
          {},
          'New here? ',
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => showAuth('sign-up') },
            'Create an account',
          ),
        )
      : h(
          'p',
          {},
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => showAuth('sign-in') },
            'I already have an account',
          ),
        );

  let busy = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    submit.setAttribute('aria-disabled', 'true');
    show(alert, '');
    show(status, mode === 'sign-in' ? 'Signing in…' : 'Creating your account…');
    const data = new FormData(form);
    const text = (key: string) => String(data.get(key) ?? '').trim();
    const body = {
      ...(mode === 'sign-up' && text('name') ? { name: text('name') } : {}),
      email: text('email'),
      // Passwords are sent as typed: spaces are part of them.
      password: String(data.get('password') ?? ''),
      deviceName: text('deviceName') || thisBrowser,
    };
    (mode === 'sign-in' ? client.signIn<SignedIn>(body) : client.signUp<SignedIn>(body))
      .catch((error: unknown) => {
        show(status, '');
        show(alert, messageOf(error));
      })
      .finally(() => {
        busy = false;
        submit.removeAttribute('aria-disabled');
      });
  });

  if (notice) show(notice.kind === 'alert' ? alert : status, notice.text);
  app.replaceChildren(
    h(
      'section',
      { class: 'auth', 'aria-labelledby': 'view-title' },
      heading,
      alert,
      status,
      form,
      other,
    ),
  );
  heading.id = 'view-title';
  // On page load straight to the first field; after a change of view to the heading, so screen
  // readers announce where the user now is.
  if (firstView && !notice) form.querySelector('input')?.focus();
  else heading.focus();
}

function field(
  name: string,
  label: string,
  options: { type: string; hint?: string; required?: boolean } & Record<
    string,
    string | number | boolean | undefined
  >,
): HTMLElement {
  const { hint, ...attributes } = options;
  const id = `field-${name}`;
  const input = h('input', {
    ...attributes,
    id,
    name,
    'aria-describedby': hint ? `${id}-hint` : undefined,
  });
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint && h('p', { class: 'hint', id: `${id}-hint` }, hint),
  );
}

// --- your devices -----------------------------------------------------------------------------

interface DeviceItem {
  element: HTMLLIElement;
  update(session: SessionItem): void;
}

function showDevices(sessionId: string): void {
  replaceView(undefined);
  shownSession = sessionId;
  authMode = undefined;

  const heading = h('h1', { id: 'view-title', tabindex: '-1' }, 'Your devices');
  const who = h('p', { class: 'who' }, ' ');
  const liveText = h('span', {}, 'Connecting…');
  const liveIndicator = h(
    'p',
    { class: 'live', 'data-status': 'connecting' },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    liveText,
  );
  const alert = message('alert');
  const status = message('status');
  const list = h('ul', { class: 'devices', 'aria-labelledby': 'view-title', 'aria-busy': 'true' });
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

  const items = new Map<string, DeviceItem>();
  let sessions: SessionItem[] = [];
  /** Bumped by every update, so a list loaded over HTTP never overwrites a newer pushed one. */
  let version = 0;

  const render = (next: SessionItem[]): void => {
    version++;
    sessions = [...next].sort(byCurrentThenRecent);
    for (const [id, item] of items) {
      if (!sessions.some((s) => s.id === id)) {
        const hadFocus = item.element.contains(document.activeElement);
        item.element.remove();
        items.delete(id);
        if (hadFocus) heading.focus();
      }
    }
    const ordered = sessions.map((session) => {
      let item = items.get(session.id);
      if (!item) {
        item = deviceItem(session, session.current, signOutDevice);
        items.set(session.id, item);
      }
      item.update(session);
      return item.element;
    });
    // Re-inserting nodes would drop keyboard focus: only reorder when the order changed.
    if (ordered.some((element, index) => list.children[index] !== element))
      list.replaceChildren(...ordered);
    list.removeAttribute('aria-busy');
  };

  const load = async (): Promise<void> => {
    const at = version;
    try {
      const loaded = await client.sessions();
      if (at === version) render(loaded);
    } catch (error) {
      if (signedIn()) show(alert, `Could not load your devices. ${messageOf(error)}`);
    }
  };

  const nameOf = (id: string): string => {
    const session = sessions.find((s) => s.id === id);
    return session ? deviceLabel(session) : 'another device';
  };

  async function signOutDevice(session: SessionItem, button: HTMLButtonElement): Promise<void> {
    if (button.getAttribute('aria-disabled') === 'true') return;
    button.setAttribute('aria-disabled', 'true');
    show(alert, '');
    try {
      await client.signOutDevice(session.id);
      render(sessions.filter((s) => s.id !== session.id));
      confirmDone(`Signed out ${deviceLabel(session)}.`);
    } catch (error) {
      if (error instanceof SessionClientError && error.code === 'SESSION_NOT_FOUND') {
        render(sessions.filter((s) => s.id !== session.id));
      } else if (signedIn()) {
        show(alert, messageOf(error));
      }
    } finally {
      button.removeAttribute('aria-disabled');
    }
  }

  othersButton.addEventListener('click', async () => {
    show(alert, '');
    const others = sessions.filter((s) => !s.current).length;
    try {
      await client.signOutOthers();
      render(sessions.filter((s) => s.current));
      confirmDone(others ? 'Signed out all other devices.' : 'No other devices were signed in.');
    } catch (error) {
      if (signedIn()) show(alert, messageOf(error));
    }
  });

  thisButton.addEventListener('click', () => void client.signOut());

  const showConnection = (state: ConnectionStatus): void => {
    liveIndicator.dataset.status = state;
    liveText.textContent = {
      connecting: 'Connecting…',
      live: 'Live updates on',
      reconnecting: 'Reconnecting…',
      closed: 'Offline',
    }[state];
  };
  const listeners = [
    client.on('connection', showConnection),
    client.on('sessionNew', ({ session }) => {
      show(status, ''); // "Signed out <name>" is out of date once a device signs in again
      if (!sessions.some((s) => s.id === session.id)) render([...sessions, session]);
    }),
    // Pushed after every change, and reloaded by the client after every (re)connect.
    client.on('sessionsUpdated', ({ sessions: next }) => render(next)),
    client.on('theftDetected', ({ sessionId, current }) => {
      if (current) return; // the client signs this device out; the sign-in form says why
      show(
        alert,
        `Suspicious activity: the sign-in token of “${nameOf(sessionId)}” was used twice, so that device was ` +
          'signed out for safety. If that was not you, change your password.',
      );
      render(sessions.filter((s) => s.id !== sessionId));
    }),
  ];

  // "Last active 5 minutes ago" has to move on by itself. The list is also re-read now and then
  // and whenever the tab comes back into view: a pushed event can be missed (e.g. while Redis is
  // down, instances only reach their own sockets).
  const ticker = setInterval(() => {
    items.forEach((item, id) => item.update(sessions.find((s) => s.id === id)!));
    if (document.visibilityState === 'visible') void load();
  }, RESYNC_MS);
  const onVisible = () => document.visibilityState === 'visible' && void load();
  document.addEventListener('visibilitychange', onVisible);
  teardown = () => {
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

  app.replaceChildren(
    h(
      'section',
      { class: 'devices-view', 'aria-labelledby': 'view-title' },
      h('div', { class: 'devices-header' }, h('div', {}, heading, who), liveIndicator),
      alert,
      status,
      list,
      h('div', { class: 'actions' }, othersButton, thisButton),
    ),
  );
  heading.focus();
}

function deviceItem(
  first: SessionItem,
  current: boolean,
  signOut: (session: SessionItem, button: HTMLButtonElement) => void,
): DeviceItem {
  let session = first;
  const name = h('h2', { class: 'device-name' });
  const buttonName = srOnly('');
  const button = h('button', { type: 'button', class: 'danger small' }, 'Sign out', buttonName);
  button.addEventListener('click', () => signOut(session, button));
  const facts = {
    browser: h('dd'),
    os: h('dd'),
    ip: h('dd'),
    signedIn: h('time'),
    lastActive: h('time'),
  };
  const fact = (term: string, value: HTMLElement) =>
    h('div', {}, h('dt', {}, term), value.tagName === 'DD' ? value : h('dd', {}, value));
  const element = h(
    'li',
    { class: current ? 'device current' : 'device' },
    h(
      'div',
      { class: 'device-title' },
      name,
      current && h('span', { class: 'badge' }, 'This device'),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Browser', facts.browser),
      fact('OS', facts.os),
      fact('IP address', facts.ip),
      fact('Signed in', facts.signedIn),
      fact('Last active', facts.lastActive),
    ),
    !current && button,
  );
  return {
    element,
    update(next) {
      session = next;
      const label = deviceLabel(next);
      name.textContent = label;
      buttonName.textContent = ` ${label}`;
      facts.browser.textContent = next.browser ?? 'Unknown';
      facts.os.textContent = next.os ?? 'Unknown';
      facts.ip.textContent = next.ip ?? 'Unknown';
      facts.signedIn.dateTime = next.createdAt;
      facts.signedIn.textContent = dateTime(next.createdAt);
      facts.lastActive.dateTime = current ? new Date().toISOString() : next.lastActiveAt;
      facts.lastActive.title = dateTime(next.lastActiveAt);
      facts.lastActive.textContent = current ? 'now' : timeAgo(next.lastActiveAt);
    },
  };
}

function deviceLabel(session: SessionItem): string {
  if (session.deviceName) return session.deviceName;
  if (session.browser && session.os) return `${session.browser} on ${session.os}`;
  return session.browser ?? session.os ?? 'Unknown device';
}

function byCurrentThenRecent(a: SessionItem, b: SessionItem): number {
  return (
    Number(b.current) - Number(a.current) ||
    Date.parse(b.lastActiveAt) - Date.parse(a.lastActiveAt) ||
    Date.parse(b.createdAt) - Date.parse(a.createdAt)
  );
}

// --- shared -----------------------------------------------------------------------------------

function replaceView(next: (() => void) | undefined): void {
  teardown?.();
  teardown = next;
}

/** An alert (errors, warnings) or status (confirmations) region, hidden while empty. */
function message(kind: 'alert' | 'status'): HTMLElement {
  return h('div', {
    class: kind === 'alert' ? 'message alert' : 'message status',
    role: kind,
    hidden: true,
  });
}

function show(region: HTMLElement, text: string): void {
  region.textContent = text;
  region.hidden = !text;
}

function messageOf(error: unknown): string {
  if (!(error instanceof SessionClientError)) return 'Something went wrong. Please try again.';
  if (error.retryAfter) {
    const wait = `Try again in ${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}.`;
    if (error.code === 'RATE_LIMITED') return `Too many attempts. ${wait}`;
    if (error.status === 503) return `The server is busy. ${wait}`;
  }
  const text = error.message.trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function noticeFor(reason: SignedOutReason): Notice | undefined {
  const alert = (text: string): Notice => ({ kind: 'alert', text });
  switch (reason) {
    case 'TERMINATED':
    case 'TERMINATED_OTHERS':
    case 'TERMINATED_ALL':
      return alert('This device was signed out from another device.');
    case 'REUSE_DETECTED':
      return alert(
        'Suspicious activity: this device’s sign-in was used from somewhere else, so it was signed out ' +
          'for safety. Sign in again, and change your password if this was not you.',
      );
    case 'EXPIRED':
      return alert('Your session has expired. Please sign in again.');
    case 'SESSION_LIMIT':
      return alert(
        'This device was signed out because your account is signed in on too many devices.',
      );
    case 'PASSWORD_CHANGED':
      return alert('This device was signed out because your password was changed.');
    case 'REVOKED':
      return alert('This device was signed out. Please sign in again.');
    case 'OTHER_TAB_LOGOUT':
      return { kind: 'status', text: 'You signed out in another tab.' };
    case 'LOGOUT':
      return { kind: 'status', text: 'You signed out of this device.' };
  }
}
