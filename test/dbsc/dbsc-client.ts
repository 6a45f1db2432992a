import { DeviceKey } from '../support/device-key.mjs';
import { DEFAULT_USER_AGENT, parseSetCookie } from '../support/http-client.js';

/**
 * A DBSC user agent that follows the W3C "Device Bound Session Credentials" draft step by step
 * (https://w3c.github.io/webappsec-dbsc/, spec.bs of github.com/w3c/webappsec-dbsc), with its own
 * ES256 key: it reads `Secure-Session-Registration`, registers with a `dbsc+jwt` carrying its `jwk`
 * and the challenge in `jti`, keeps the session configuration, and refreshes through the 403
 * `Secure-Session-Challenge` and the signed retry. Cookies are kept per name, sent only under their
 * path (all of ours are under /auth), as a browser would.
 */
export class DbscClient {
  readonly cookies = new Map<string, { value: string; path: string }>();
  /** The last registration the server offered. */
  registration: { path: string; challenge: string; algorithms: string[] } | undefined;
  /** The session configuration of the last registration or refresh. */
  config: SessionConfig | undefined;

  constructor(
    readonly baseUrl: string,
    readonly key: DeviceKey = new DeviceKey(),
  ) {}

  /** A request as the browser sends it: its cookies for the path, and keeps what it sets. */
  async send(
    method: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string>; token?: string } = {},
  ): Promise<DbscResponse> {
    const headers: Record<string, string> = {
      'user-agent': DEFAULT_USER_AGENT,
      ...options.headers,
    };
    const cookie = [...this.cookies]
      .filter(([, c]) => path === c.path || path.startsWith(`${c.path.replace(/\/$/, '')}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    if (cookie) headers.cookie = cookie;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body });
    const text = await response.text();
    const set: Record<string, string> = {};
    for (const c of response.headers.getSetCookie().map(parseSetCookie)) {
      set[c.name] = c.cleared ? '' : c.value;
      if (c.cleared) this.cookies.delete(c.name);
      else this.cookies.set(c.name, { value: c.value, path: String(c.attributes.path ?? '/') });
    }
    const registration = response.headers.get('secure-session-registration');
    if (registration) this.registration = parseRegistration(registration);
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, body: json, headers: response.headers, set };
  }

  /** The draft's "DBSC proof": header `typ: dbsc+jwt`, `alg`, (registration) `jwk`; `jti`. */
  proof(challenge: string, options: { jwk?: boolean; key?: DeviceKey } = {}): string {
    const header = { alg: 'ES256', typ: 'dbsc+jwt', ...(options.jwk ? { jwk: this.key.jwk } : {}) };
    return (options.key ?? this.key).sign(header, { jti: challenge });
  }

  /** Registration: POST to the header's path with the proof (an sf-string) and the cookies. */
  register(proof?: string): Promise<DbscResponse> {
    const { path, challenge } = this.registration!;
    const jwt = proof ?? this.proof(challenge, { jwk: true });
    return this.send('POST', path, { headers: { 'secure-session-response': `"${jwt}"` } }).then(
      (r) => {
        if (r.status === 200) this.config = r.body;
        return r;
      },
    );
  }

  /**
   * Refresh as the draft's "send a request" does it: first without a proof; on 403 take the
   * challenge for this session from `Secure-Session-Challenge`, sign it and retry once.
   */
  async refresh(
    sign: (challenge: string) => string = (c) => this.proof(c),
  ): Promise<{ first: DbscResponse; retry?: DbscResponse }> {
    const config = this.config!;
    const headers = { 'sec-secure-session-id': `"${config.session_identifier}"` };
    const first = await this.send('POST', config.refresh_url, { headers });
    if (first.status !== 403) return { first };
    const challenge = parseChallenge(first.headers.get('secure-session-challenge') ?? '');
    if (!challenge || challenge.id !== config.session_identifier) return { first };
    const retry = await this.send('POST', config.refresh_url, {
      headers: { ...headers, 'secure-session-response': `"${sign(challenge.value)}"` },
    });
    if (retry.status === 200 && retry.body?.session_identifier) this.config = retry.body;
    return { first, retry };
  }
}

export interface SessionConfig {
  session_identifier: string;
  refresh_url: string;
  continue?: boolean;
  scope: { include_site: boolean; scope_specification: unknown[]; origin?: string };
  credentials: { type: string; name: string; attributes: string }[];
}

export interface DbscResponse {
  status: number;
  body: any;
  headers: Headers;
  /** Cookies this response set, by name ('' when it cleared one). */
  set: Record<string, string>;
}

/** `(ES256 RS256);path="...";challenge="..."` (the first registration of the list). */
export function parseRegistration(value: string): DbscClient['registration'] {
  const match = /^\(([^)]*)\)((?:;[a-z_]+="[^"]*")*)/.exec(value.trim());
  if (!match) throw new Error(`not a Secure-Session-Registration: ${value}`);
  const params = Object.fromEntries(
    [...match[2].matchAll(/;([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  return { algorithms: match[1].split(' '), path: params.path, challenge: params.challenge };
}

/** `"<challenge>";id="<session id>"`. */
export function parseChallenge(value: string): { value: string; id: string } | undefined {
  const match = /^"([^"]*)";id="([^"]*)"$/.exec(value.trim());
  return match ? { value: match[1], id: match[2] } : undefined;
}
