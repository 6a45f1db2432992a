import './styles.css';
import { createSessionClient, SessionClientError } from 'nestjs-session-auth-client';
import { io } from 'socket.io-client';
import { type AuthMode, renderAuthView } from './auth-view.js';
import { describeThisBrowser } from './device-name.js';
import { renderDevicesView } from './devices-view.js';
import { messageOf, type Notice, noticeFor } from './notices.js';
import type { Page } from './page.js';

/**
 * The device page: sign in / sign up, then "Your devices" with live updates over socket.io. Tokens,
 * refreshes, tabs and the socket are the business of nestjs-session-auth-client; this file picks
 * the view from the client's state, and each view is its own file.
 * Accessible names follow docs/design.md ("Device page"); tests and screen readers rely on them.
 */

const page: Page = {
  root: document.getElementById('app')!,
  // The demo's own sign-in and sign-up routes (apps/demo/src/auth): the library serves neither.
  client: createSessionClient({
    socket: { io },
    signInPath: '/auth/login',
    signUpPath: '/auth/register',
  }),
  thisBrowser: describeThisBrowser(),
};

/** Whatever the current view needs to release when another one replaces it. */
let teardown: (() => void) | undefined;
let authMode: AuthMode | undefined;
/** The session the devices view shows, so a refreshed token does not rebuild it. */
let shownSession: string | undefined;

page.client.state.subscribe((state) => {
  if (state.status === 'signed-in') {
    if (shownSession !== state.sessionId) showDevices(state.sessionId);
  } else if (state.status === 'signed-out') {
    shownSession = undefined;
    showAuth('sign-in', state.reason && noticeFor(state.reason));
  }
});

page.client.restore().catch((error: unknown) => {
  // A refused session already shows the sign-in form; this is offline / server trouble.
  if (error instanceof SessionClientError && error.transient) {
    showAuth('sign-in', { kind: 'alert', text: messageOf(error) });
  }
});

function showAuth(mode: AuthMode, notice?: Notice): void {
  if (authMode === mode && !notice) return; // already there: keep what the user typed
  const firstView = !page.root.querySelector('section');
  leaveView();
  authMode = mode;
  renderAuthView(page, { mode, notice, firstView, switchTo: (next) => showAuth(next) });
}

function showDevices(sessionId: string): void {
  leaveView();
  shownSession = sessionId;
  authMode = undefined;
  teardown = renderDevicesView(page);
}

function leaveView(): void {
  teardown?.();
  teardown = undefined;
}
