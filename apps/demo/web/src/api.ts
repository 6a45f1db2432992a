/** What the demo's own routes add to the package's shapes (HTTP calls go through the client). */
import type { IssuedSession } from 'nestjs-session-auth-client';

export interface UserView {
  id: string;
  email: string;
  name: string | null;
}

/** The answer of POST /auth/login and /auth/register: the issued session and the user. */
export type SignedIn = IssuedSession & { user: UserView };
