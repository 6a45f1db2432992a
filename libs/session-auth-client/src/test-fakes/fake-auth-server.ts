/**
 * The server side of the HTTP contract, as a `fetch` the client can be given: sign-in, refresh,
 * logout, the session list and a protected `/me`. Access tokens are JWT-shaped (unsigned) with
 * `sub`, `sid`, `iat`, `exp`, and expire on the (fake) clock. Refresh answers can be switched to
 * any failure the client must handle, and held back to test concurrency.
 */
export const API = 'https://api.test';

/** The app's own sign-in and sign-up routes (the library serves neither), as a client option. */
export const APP_ROUTES = { signInPath: '/auth/login', signUpPath: '/auth/register' };

export type RefreshMode =
  | 'ok'
  | 'network-error'
  | 'unavailable'
  | 'REFRESH_TOKEN_REUSED'
  | 'SESSION_REVOKED'
  | 'REFRESH_TOKEN_MISSING';

interface Call {
  method: string;
  path: string;
  authorization: string | null;
}

export class FakeAuthServer {
  ttlSeconds = 60;
  refreshMode: RefreshMode = 'ok';
  /** Every access token is refused as expired, whatever its `exp` says (a server with another clock). */
  refuseAllAsExpired = false;
  /** Set: the session is over, its access tokens get SESSION_REVOKED. */
  revoked = false;
  /** The cookie jar of the one browser: no cookie, no refresh. */
  hasCookie = false;
  readonly calls: Call[] = [];
  readonly sessionId = 'sess-1';
  readonly userId = 'user-1';
  private serial = 0;
  private hold?: Promise<void>;
  private hanging = 0;
  private release?: () => void;

  /** No network at all: every request fails as a browser's fetch does offline. */
  offline = false;
  /** The logout route answers 503. */
  logoutDown = false;

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (this.offline) throw new TypeError('Failed to fetch');
    const request = new Request(input, init);
    const url = new URL(request.url);
    const call = {
      method: request.method,
      path: url.pathname + url.search,
      authorization: request.headers.get('authorization'),
    };
    this.calls.push(call);
    // Like a browser's fetch, an aborted request rejects even while the server holds its answer.
    const aborted = new Promise<never>((_, reject) => {
      if (request.signal.aborted) reject(request.signal.reason);
      request.signal.addEventListener('abort', () => reject(request.signal.reason));
    });
    return Promise.race([this.route(call), aborted]);
  };

  /** Calls to the refresh route so far. */
  get refreshes(): number {
    return this.calls.filter((c) => c.path === '/auth/refresh').length;
  }

  callsTo(path: string): Call[] {
    return this.calls.filter((c) => c.path === path);
  }

  /** Holds refresh answers back until `releaseRefreshes()`. */
  holdRefreshes(): void {
    this.hold = new Promise((resolve) => (this.release = resolve));
  }

  releaseRefreshes(): void {
    this.release?.();
    this.hold = undefined;
  }

  /** A sign-in body as the server answers it (with the refresh token that transport `both` adds). */
  issue(): Record<string, unknown> {
    this.hasCookie = true;
    this.revoked = false;
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const payload = { sub: this.userId, sid: this.sessionId, jti: `t${++this.serial}`, iat, exp };
    return {
      accessToken: `h.${btoa(JSON.stringify(payload)).replace(/=+$/, '')}.s`,
      accessTokenExpiresAt: new Date(exp * 1000).toISOString(),
      refreshToken: 'never-kept-by-the-client',
      session: this.view(this.sessionId),
    };
  }

  view(id: string): Record<string, unknown> {
    return {
      id,
      deviceName: id === this.sessionId ? 'This browser' : 'Phone',
      browser: 'Chrome 140',
      os: 'Linux',
      ip: '127.0.0.1',
      createdAt: new Date(0).toISOString(),
      lastActiveAt: new Date(0).toISOString(),
      deviceBound: false,
      deviceKeySource: null,
    };
  }

  private async route(call: Call): Promise<Response> {
    const { method, path } = call;
    if (method === 'POST' && (path === '/auth/login' || path === '/auth/register')) {
      return json(path === '/auth/login' ? 200 : 201, {
        ...this.issue(),
        user: { id: this.userId },
      });
    }
    if (method === 'POST' && path === '/auth/refresh') return this.refresh();
    if (method === 'POST' && path === '/auth/logout') return this.logout(call.authorization);
    const refusal = this.checkAccess(call.authorization);
    if (refusal) return refusal;
    if (method === 'GET' && path === '/me') return json(200, { id: this.userId });
    if (method === 'GET' && path === '/auth/sessions') {
      return json(200, [
        { ...this.view(this.sessionId), current: true },
        { ...this.view('sess-2'), current: false },
      ]);
    }
    if (method === 'DELETE' && path.startsWith('/auth/sessions')) {
      return new Response(null, { status: 204 });
    }
    return json(404, { statusCode: 404, code: 'NOT_FOUND', message: 'No such route.' });
  }

  /** Like the library's route: the access token's session, else the refresh cookie's. */
  private async logout(authorization: string | null): Promise<Response> {
    if (this.logoutDown) return error(503, 'SERVER_BUSY');
    const refusal = this.checkAccess(authorization);
    if (refusal && !this.hasCookie) return refusal;
    this.revoked = true;
    this.hasCookie = false;
    return new Response(null, { status: 204 });
  }

  /** The next `n` refresh requests never get an answer (a connection that died on the way). */
  hangRefreshes(n: number): void {
    this.hanging = n;
  }

  private async refresh(): Promise<Response> {
    if (this.hanging > 0) {
      this.hanging--;
      await new Promise<never>(() => undefined);
    }
    await this.hold;
    switch (this.refreshMode) {
      case 'network-error':
        throw new TypeError('Failed to fetch');
      case 'unavailable':
        return error(503, 'SERVER_BUSY');
      case 'ok':
        if (!this.hasCookie) return error(401, 'REFRESH_TOKEN_MISSING');
        return json(200, this.issue());
      default:
        return error(401, this.refreshMode);
    }
  }

  private checkAccess(authorization: string | null): Response | undefined {
    const token = authorization?.replace(/^Bearer /, '');
    if (!token) return error(401, 'ACCESS_TOKEN_MISSING');
    const { exp } = JSON.parse(atob(token.split('.')[1])) as { exp: number };
    if (this.refuseAllAsExpired || exp * 1000 <= Date.now())
      return error(401, 'ACCESS_TOKEN_EXPIRED');
    if (this.revoked) return error(401, 'SESSION_REVOKED');
    return undefined;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function error(status: number, code: string): Response {
  return json(status, { statusCode: status, code, message: code.toLowerCase() });
}
