import type { SessionItem } from 'nestjs-session-auth-client';
import { type DeviceItem, deviceItem } from './device-item.js';
import { h } from './dom.js';

/** The `<ul>` of devices: this device first, then the most recently active. */
export interface DeviceList {
  element: HTMLUListElement;
  /** The sessions shown, in the order shown. */
  readonly sessions: SessionItem[];
  /** Bumped by every render, so a list loaded over HTTP never overwrites a newer pushed one. */
  readonly version: number;
  /** Shows exactly `next`, keeping the items (and focus) of sessions that stay. */
  render(next: SessionItem[]): void;
  /** Redraws every item, so relative times ("5 minutes ago") move on. */
  refresh(): void;
}

export function deviceList(options: {
  signOut: (session: SessionItem, button: HTMLButtonElement) => void;
  /** Called when the item that had keyboard focus is removed, to put focus somewhere sensible. */
  onFocusLost: () => void;
}): DeviceList {
  const element = h('ul', {
    class: 'devices',
    'aria-labelledby': 'view-title',
    'aria-busy': 'true',
  });
  const items = new Map<string, DeviceItem>();
  let sessions: SessionItem[] = [];
  let version = 0;

  const render = (next: SessionItem[]): void => {
    version++;
    sessions = [...next].sort(byCurrentThenRecent);
    for (const [id, item] of items) {
      if (!sessions.some((s) => s.id === id)) {
        const hadFocus = item.element.contains(document.activeElement);
        item.element.remove();
        items.delete(id);
        if (hadFocus) options.onFocusLost();
      }
    }
    const ordered = sessions.map((session) => {
      let item = items.get(session.id);
      if (!item) {
        item = deviceItem(session, session.current, options.signOut);
        items.set(session.id, item);
      }
      item.update(session);
      return item.element;
    });
    // Re-inserting nodes would drop keyboard focus: only reorder when the order changed.
    if (ordered.some((child, index) => element.children[index] !== child))
      element.replaceChildren(...ordered);
    element.removeAttribute('aria-busy');
  };

  return {
    element,
    get sessions() {
      return sessions;
    },
    get version() {
      return version;
    },
    render,
    refresh() {
      items.forEach((item, id) => item.update(sessions.find((s) => s.id === id)!));
    },
  };
}

function byCurrentThenRecent(a: SessionItem, b: SessionItem): number {
  return (
    Number(b.current) - Number(a.current) ||
    Date.parse(b.lastActiveAt) - Date.parse(a.lastActiveAt) ||
    Date.parse(b.createdAt) - Date.parse(a.createdAt)
  );
}
