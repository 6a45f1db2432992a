import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The short-lived cookie a DBSC session's browser keeps fresh: the "bound credential" of the
 * session configuration. Only the DBSC registration and refresh endpoints issue it, each after a
 * proof by the session's key; `/auth/refresh` of a DBSC-bound session spends its refresh token only
 * while it comes with an unexpired one of the same session. The refresh cookie copied off the
 * device is then worthless once the copied credential has expired (at most `DBSC_CREDENTIAL_TTL`
 * seconds): the browser's key is needed to get another one.
 *
 * Stateless, so any instance checks what another issued: the expiry, the key's thumbprint and a
 * MAC over them and the session id, under a key derived from the refresh-token keys.
 *
 *   <expiry, seconds> . <thumbprint> . <HMAC-SHA256 truncated to 16 bytes, base64url>
 */
export const DBSC_CREDENTIAL_TTL_SECONDS = 600;

const KEY_INFO = 'session-auth/dbsc-credential-key/v1';
const MAC_BYTES = 16;
const SHAPE = /^(\d{1,12})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

export class DbscCredentials {
  private readonly keys: Buffer[];

  /** `secrets`: the refresh-token MAC keys, the first signing (each one checks). */
  constructor(secrets: readonly Buffer[]) {
    this.keys = secrets.map((s) =>
      Buffer.from(hkdfSync('sha256', s, Buffer.alloc(0), KEY_INFO, 32)),
    );
  }

  /** A credential for `sessionId` bound to `thumbprint`, valid for DBSC_CREDENTIAL_TTL_SECONDS. */
  issue(sessionId: string, thumbprint: string, nowMs: number = Date.now()): string {
    const expiry = Math.floor(nowMs / 1000) + DBSC_CREDENTIAL_TTL_SECONDS;
    return `${expiry}.${thumbprint}.${this.mac(this.keys[0], sessionId, expiry, thumbprint)}`;
  }

  /** The thumbprint `value` was issued for, if it is ours, for `sessionId`, and unexpired. */
  thumbprintOf(value: unknown, sessionId: string, nowMs: number = Date.now()): string | undefined {
    const parts = typeof value === 'string' ? SHAPE.exec(value) : null;
    if (!parts) return undefined;
    const [, expiryText, thumbprint, mac] = parts;
    const expiry = Number(expiryText);
    if (expiry <= nowMs / 1000) return undefined;
    const presented = Buffer.from(mac, 'base64url');
    const ours = this.keys.some((key) =>
      timingSafeEqual(
        Buffer.from(this.mac(key, sessionId, expiry, thumbprint), 'base64url'),
        presented,
      ),
    );
    return ours ? thumbprint : undefined;
  }

  private mac(key: Buffer, sessionId: string, expiry: number, thumbprint: string): string {
    return createHmac('sha256', key)
      .update(`${sessionId}.${expiry}.${thumbprint}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}
