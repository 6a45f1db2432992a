import {
  SESSIONS_NAMESPACE,
  type SessionServerToClientEvents,
} from 'nestjs-session-auth/socket-events';

// A device page's event handlers, typed from the server's socket contract.
const status = document.getElementById('status')!;
const show = (text: string): void => {
  status.textContent = text;
};

const handlers: SessionServerToClientEvents = {
  SESSION_NEW: ({ session }) => show(`new sign-in: ${session.id}`),
  SESSION_TERMINATED: ({ sessionId, reason }) => show(`session ${sessionId} ended (${reason})`),
  SESSIONS_UPDATED: ({ sessions }) => show(`${sessions.length} sessions`),
  SESSION_REUSE_DETECTED: ({ sessionId }) => show(`suspicious use of session ${sessionId}`),
};

status.dataset.namespace = SESSIONS_NAMESPACE;
Object.assign(window, { sessionEventHandlers: handlers });
