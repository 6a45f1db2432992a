import type { DeviceKeyStore } from './device-key-store.js';

/** Where the last server nonce is shared with the other tabs (the sign-out storage's shape). */
export type NonceStorage = Pick<Storage, 'getItem' | 'setItem'>;

/** Whether this page can hold a device key, and if not, why. */
export type DeviceKeySupport = { supported: true } | { supported: false; reason: string };

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * The session's device key: an ECDSA P-256 pair made with WebCrypto, its private key
 * non-extractable, one per session (a new one at every sign-in), kept in `store` so that it
 * survives reloads and serves every tab. It signs the DPoP proofs (RFC 9449) the server asks for
 * at sign-in and on every refresh, and remembers the server's last nonce (`DPoP-Nonce`).
 */
export class DeviceKey {
  readonly support: DeviceKeySupport;
  private nonce: string | undefined;
  /** The pair a sign-in under way proves; stored once the server took it. */
  private pending: CryptoKeyPair | undefined;

  constructor(
    private readonly store: DeviceKeyStore | undefined,
    /** Shares the nonce with the other tabs, so the tab that refreshes next has a fresh one. */
    private readonly shared?: { storage: NonceStorage; key: string },
  ) {
    const subtle = globalThis.crypto?.subtle;
    this.support = !subtle
      ? { supported: false, reason: 'WebCrypto is not available (a secure context is needed)' }
      : !store
        ? { supported: false, reason: 'IndexedDB is not available' }
        : { supported: true };
  }

  /** A fresh pair for a sign-in; `undefined` where keys are unsupported. */
  async forSignIn(): Promise<CryptoKeyPair | undefined> {
    if (!this.support.supported) return undefined;
    this.pending = await crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
    return this.pending;
  }

  /** The server took the sign-in: the pending pair becomes the session's. */
  async adopted(): Promise<void> {
    const pair = this.pending;
    this.pending = undefined;
    if (pair) await this.store?.save(pair);
  }

  /** The session ended: its key goes with it. */
  async forget(): Promise<void> {
    this.pending = undefined;
    await this.store?.clear().catch(() => undefined);
  }

  /** The session's pair (every tab reads the same record). */
  current(): Promise<CryptoKeyPair | undefined> {
    if (!this.support.supported) return Promise.resolve(undefined);
    return this.store!.load().catch(() => undefined);
  }

  /** Keeps the nonce a response handed out for the next proof. */
  noteNonce(response: Response): void {
    const nonce = response.headers.get('DPoP-Nonce');
    if (!nonce) return;
    this.nonce = nonce;
    try {
      this.shared?.storage.setItem(this.shared.key, nonce);
    } catch {
      // Storage full or blocked: this tab keeps its own.
    }
  }

  /** The newest nonce this tab or another one was handed. */
  private lastNonce(): string | undefined {
    try {
      return this.shared?.storage.getItem(this.shared.key) ?? this.nonce;
    } catch {
      return this.nonce;
    }
  }

  /** A `DPoP` header for `method` on `url`, signed by `pair`. */
  async proofHeader(pair: CryptoKeyPair, method: string, url: string): Promise<string> {
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const htu = url.split(/[?#]/)[0];
    const nonce = this.lastNonce();
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } };
    const claims = {
      htm: method,
      htu,
      iat: Math.floor(Date.now() / 1000),
      jti: crypto.randomUUID(),
      ...(nonce && { nonce }),
    };
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
    // WebCrypto's ECDSA signature is r || s, exactly the JWS form.
    const signature = await crypto.subtle.sign(SIGNING, pair.privateKey, encode(input));
    return `${input}.${b64(new Uint8Array(signature))}`;
  }
}

function encode(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

function b64(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? encode(value) : value;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
