import type { KeyObject } from 'node:crypto';

/** A device key the way a client holds one: signs DPoP proofs and DBSC responses (ES256). */
export declare class DeviceKey {
  readonly privateKey: KeyObject;
  readonly jwk: { kty: string; crv: string; x: string; y: string };
  /** RFC 7638 thumbprint of the public key. */
  readonly thumbprint: string;
  /** A compact JWS over `header` and `payload`, signed ES256 (r || s). */
  sign(header: object, payload: object): string;
  /** A DPoP proof for `method` `url`; `claims` add or override (`nonce`, `ath`, `iat`, `jti`). */
  proof(method: string, url: string, claims?: Record<string, unknown>): string;
}

/** `ath`: base64url SHA-256 of an access token. */
export declare function accessTokenHash(accessToken: string): string;
