/** The demo's HTTP API as the page uses it: JSON in and out, same-origin cookies, typed errors. */
import type { SessionListItem, SessionView } from 'nestjs-session-auth/socket-events';

export type { SessionListItem, SessionView };

/** What sign-in, sign-up and refresh answer with, minus the refresh token (the page never keeps it). */
export interface IssuedAccess {
  accessToken: string;
  accessTokenExpiresAt: string;
  session: SessionView;
}

export interface UserView {
  id: string;
  email: string;
  name: string | null;
}

/** A failed request: the server's stable `code` and user-facing `message` (or a network failure). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from the `Retry-After` header of a 429 or 503. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** A failure that says nothing about the session (offline, overloaded, rate limited). */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** A request never hangs forever: a hung refresh would hold the cross-tab lock. */
const REQUEST_TIMEOUT_MS = 15_000;

interface RequestOptions {
  body?: unknown;
  token?: string;
}

export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      // The refresh cookie is HttpOnly, SameSite=Strict, Path=/auth: the browser sends it, we never see it.
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'Could not reach the server. Check your connection and try again.',
    );
  }
  if (response.status === 204) return undefined as T;
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toApiError(response, body);
  return body as T;
}

function toApiError(response: Response, body: unknown): ApiError {
  const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
  // The server sends Retry-After as whole seconds (never an HTTP date) on every 429 and busy 503.
  const seconds = Number(response.headers.get('retry-after') ?? NaN);
  const retryAfter = Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
  return new ApiError(
    response.status,
    typeof code === 'string' ? code : `HTTP_${response.status}`,
    typeof message === 'string' ? message : `The server answered ${response.status}.`,
    retryAfter,
  );
}

/** Keeps only what the page needs: with REFRESH_TRANSPORT=both the body also has the refresh token. */
export function toIssuedAccess(body: IssuedAccess): IssuedAccess {
  return {
    accessToken: body.accessToken,
    accessTokenExpiresAt: body.accessTokenExpiresAt,
    session: body.session,
  };
}
