import {
  createSessionClient,
  SESSIONS_NAMESPACE,
  SessionClientError,
  type SessionItem,
  type SessionServerToClientEvents,
  type SessionState,
} from 'nestjs-session-auth-client';
import { io } from 'socket.io-client';

// A device page as an adopter writes it: the client with the app's own sign-in route, the live
// socket, the typed contract, and the session list. Installed: the client and socket.io-client only.
const status = document.getElementById('status')!;
const show = (text: string): void => {
  status.textContent = text;
};

const client = createSessionClient({
  baseUrl: 'https://api.example.com',
  signInPath: '/account/sign-in',
  tokenOrigins: ['https://files.example.com'],
  socket: { io },
});

client.state.subscribe((state: SessionState) => {
  if (state.status === 'signed-in') show(`signed in as ${state.userId}`);
  else if (state.status === 'signed-out' && state.signOutPending) show('sign-out pending');
  else show(state.status);
});
client.on('sessionsUpdated', ({ sessions }: { sessions: SessionItem[] }) =>
  show(`${sessions.length} devices`),
);

// The contract's types come with the client: a handler map typed from the server's events.
const handlers: Partial<SessionServerToClientEvents> = {
  SESSION_TERMINATED: ({ sessionId, reason }) => show(`session ${sessionId} ended (${reason})`),
};
status.dataset.namespace = SESSIONS_NAMESPACE;

async function signIn(email: string, password: string): Promise<void> {
  try {
    await client.signIn({ login: email, password });
  } catch (error) {
    if (error instanceof SessionClientError) show(`${error.code}: ${error.message}`);
  }
}

client.restore().catch(() => undefined);
Object.assign(window, { signIn, handlers, signOut: () => client.signOut() });
