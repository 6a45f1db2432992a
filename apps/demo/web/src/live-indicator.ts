import type { ConnectionStatus } from 'nestjs-session-auth-client';
import { h } from './dom.js';

const TEXTS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live updates on',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
};

/** "Live updates on", "Reconnecting…": the state of the socket, beside a coloured dot. */
export function liveIndicator(): {
  element: HTMLParagraphElement;
  show(state: ConnectionStatus): void;
} {
  const text = h('span', {}, TEXTS.connecting);
  const element = h(
    'p',
    { class: 'live', 'data-status': 'connecting' },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    text,
  );
  return {
    element,
    show(state) {
      element.dataset.status = state;
      text.textContent = TEXTS[state];
    },
  };
}
