import type { HttpRequestLike } from '../http/http-types.js';

/**
 * The headers of DBSC (W3C "Device Bound Session Credentials" draft). All are RFC 9651 structured
 * fields; the values this server reads are sf-strings (`"..."`, parameters ignored).
 */
export const DBSC_HEADERS = {
  /** Response: starts a registration, `(ES256);path="...";challenge="..."`. */
  registration: 'Secure-Session-Registration',
  /** Request: the DBSC proof JWT (registration, and the retried refresh). */
  response: 'Secure-Session-Response',
  /** Response (403 on refresh): `"<challenge>";id="<session id>"`. */
  challenge: 'Secure-Session-Challenge',
  /** Request (refresh): the session identifier, an sf-string. */
  sessionId: 'Sec-Secure-Session-Id',
} as const;

/** Longest header value read (a proof JWT is under 1 KiB; the JWS parser caps it again). */
const MAX_HEADER_LENGTH = 8192;

/** An sf-string (RFC 9651 section 3.3.3): quoted, with `\` escaping `"` and `\`. */
export function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The sf-string value of a request header, its parameters ignored; a bare value (no quotes) is
 * taken as is. `undefined` when the header is absent, repeated, too long or malformed.
 */
export function readSfString(request: HttpRequestLike, name: string): string | undefined {
  const raw = request.headers[name.toLowerCase()];
  if (typeof raw !== 'string' || raw.length > MAX_HEADER_LENGTH) return undefined;
  const value = raw.trim();
  if (!value.startsWith('"')) return /^[\x21-\x7e]+$/.test(value) ? value : undefined;
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '"') return out;
    if (c === '\\') {
      const next = value[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c < ' ' || c > '~') return undefined;
    else out += c;
  }
  return undefined;
}

/** `Secure-Session-Registration`: ES256 only, the registration path and the challenge. */
export function registrationHeader(path: string, challenge: string): string {
  return `(ES256);path=${sfString(path)};challenge=${sfString(challenge)}`;
}

/** `Secure-Session-Challenge`: the challenge for the next proof of session `sessionId`. */
export function challengeHeader(challenge: string, sessionId: string): string {
  return `${sfString(challenge)};id=${sfString(sessionId)}`;
}
