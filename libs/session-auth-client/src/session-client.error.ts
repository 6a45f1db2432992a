/** A failed call: the server's stable `code` and `message`, or `NETWORK_ERROR` / `SIGNED_OUT`. */
export class SessionClientError extends Error {
  override readonly name = 'SessionClientError';

  constructor(
    /** HTTP status; 0 when the server was not reached. */
    readonly status: number,
    /** The server's stable code (e.g. `SESSION_NOT_FOUND`), `NETWORK_ERROR` or `SIGNED_OUT`. */
    readonly code: string,
    message: string,
    /** Seconds to wait, from the `Retry-After` header of a 429 or 503. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** A failure that says nothing about the session (offline, overloaded, rate limited). */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export const networkError = (): SessionClientError =>
  new SessionClientError(0, 'NETWORK_ERROR', 'Could not reach the server.');

export const signedOutError = (): SessionClientError =>
  new SessionClientError(401, 'SIGNED_OUT', 'You are signed out.');

/** The error a non-2xx answer stands for; reads the body of the response it is given. */
export async function errorFromResponse(response: Response): Promise<SessionClientError> {
  const body: unknown = await response.json().catch(() => undefined);
  const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
  const retryAfter = retryAfterOf(response.headers);
  return new SessionClientError(
    response.status,
    typeof code === 'string' ? code : `HTTP_${response.status}`,
    typeof message === 'string' ? message : `The server answered ${response.status}.`,
    retryAfter,
  );
}

/**
 * Seconds from the standard `Retry-After` header (whole seconds; an HTTP date is not used by the
 * server), else from a named one such as @nestjs/throttler's `Retry-After-<throttler>`.
 */
function retryAfterOf(headers: Headers): number | undefined {
  let value = headers.get('retry-after');
  headers.forEach((named, name) => {
    if (value === null && name.startsWith('retry-after-')) value = named;
  });
  const seconds = Number(value ?? NaN);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}
