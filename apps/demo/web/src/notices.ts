import { SessionClientError, type SignedOutReason } from 'nestjs-session-auth-client';
import { h } from './dom.js';

/** A message for the sign-in form to open with: an alert (errors, warnings) or a status. */
export type Notice = { kind: 'alert' | 'status'; text: string };

/** An alert (errors, warnings) or status (confirmations) region, hidden while empty. */
export function message(kind: 'alert' | 'status'): HTMLElement {
  return h('div', {
    class: kind === 'alert' ? 'message alert' : 'message status',
    role: kind,
    hidden: true,
  });
}

/** Puts `text` in a message region; an empty text hides it. */
export function show(region: HTMLElement, text: string): void {
  region.textContent = text;
  region.hidden = !text;
}

/** A failed call as one sentence for the user. */
export function messageOf(error: unknown): string {
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

/** Why this device was signed out, as the sign-in form tells it. */
export function noticeFor(reason: SignedOutReason): Notice | undefined {
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
