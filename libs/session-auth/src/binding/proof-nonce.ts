import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Server nonces for proofs (RFC 9449 section 8), stateless so any instance can check one another
 * instance issued: the issue time in seconds and an HMAC over it under a key derived from the
 * refresh-token keys. A nonce is fresh for `ttlSeconds` after it was issued, so a proof cannot be
 * made further in advance than that. A `context` (the DBSC challenges name their session) is MACed
 * along, so a nonce issued for one context is not fresh for another.
 *
 *   issued-at (4 bytes, big-endian seconds) | HMAC-SHA256(issued-at | context) truncated to 16 bytes
 */
const KEY_INFO = 'session-auth/proof-nonce-key/v1';
const MAC_BYTES = 16;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{27}$/;
/** A nonce a little ahead of this instance's clock (another instance's) is still taken. */
const FUTURE_SKEW_SECONDS = 5;

export class ProofNonces {
  private readonly keys: Buffer[];
  /** The nonce of the current second: every answer offers one, and it only changes each second. */
  private last = { seconds: -1, nonce: '' };

  /**
   * `secrets`: the refresh-token MAC keys, the first signing (each one checks); `keyInfo` derives
   * keys of their own for another use of the same construction.
   */
  constructor(
    secrets: readonly Buffer[],
    private readonly ttlSeconds: number,
    keyInfo: string = KEY_INFO,
  ) {
    this.keys = secrets.map((s) =>
      Buffer.from(hkdfSync('sha256', s, Buffer.alloc(0), keyInfo, 32)),
    );
  }

  /** A nonce issued now. */
  issue(nowMs: number = Date.now(), context = ''): string {
    const seconds = Math.floor(nowMs / 1000);
    // Only the shared nonce (no context) is the same for every answer of a second.
    if (context === '' && seconds === this.last.seconds) return this.last.nonce;
    const time = Buffer.alloc(4);
    time.writeUInt32BE(seconds);
    const nonce = Buffer.concat([time, this.mac(this.keys[0], time, context)]).toString(
      'base64url',
    );
    if (context === '') this.last = { seconds, nonce };
    return nonce;
  }

  /** Whether `nonce` was issued by one of our keys within the last `ttlSeconds`. */
  isFresh(nonce: unknown, nowMs: number = Date.now(), context = ''): boolean {
    if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce)) return false;
    const bytes = Buffer.from(nonce, 'base64url');
    const time = bytes.subarray(0, 4);
    const age = Math.floor(nowMs / 1000) - time.readUInt32BE();
    if (age > this.ttlSeconds || age < -FUTURE_SKEW_SECONDS) return false;
    const presented = bytes.subarray(4);
    return this.keys.some((key) => timingSafeEqual(this.mac(key, time, context), presented));
  }

  private mac(key: Buffer, time: Buffer, context: string): Buffer {
    return createHmac('sha256', key).update(time).update(context).digest().subarray(0, MAC_BYTES);
  }
}
