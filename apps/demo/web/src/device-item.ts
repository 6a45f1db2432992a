import type { SessionItem } from 'nestjs-session-auth-client';
import { h, srOnly } from './dom.js';
import { dateTime, timeAgo } from './format.js';

/** One device in the list: built once, then updated in place so keyboard focus stays put. */
export interface DeviceItem {
  element: HTMLLIElement;
  update(session: SessionItem): void;
}

export function deviceItem(
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
    key: h('dd'),
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
      fact('Device key', facts.key),
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
      // Shown as text, not only a colour or icon: screen readers and tests read it.
      facts.key.textContent = !next.deviceBound
        ? 'Not bound'
        : next.deviceKeySource === 'dbsc'
          ? "Bound (DBSC, the browser's key)"
          : 'Bound';
      facts.signedIn.dateTime = next.createdAt;
      facts.signedIn.textContent = dateTime(next.createdAt);
      facts.lastActive.dateTime = current ? new Date().toISOString() : next.lastActiveAt;
      facts.lastActive.title = dateTime(next.lastActiveAt);
      facts.lastActive.textContent = current ? 'now' : timeAgo(next.lastActiveAt);
    },
  };
}

/** The name the user gave the device, else "Chrome on Linux", else whatever is known. */
export function deviceLabel(session: SessionItem): string {
  if (session.deviceName) return session.deviceName;
  if (session.browser && session.os) return `${session.browser} on ${session.os}`;
  return session.browser ?? session.os ?? 'Unknown device';
}
