// A device key the way a client holds one (an ES256 key pair that never leaves this object),
// signing DPoP proofs (RFC 9449) and DBSC responses; shared by the e2e tests and the benchmarks.
// Plain ESM so that node runs it as is for bench/; types in device-key.d.mts.
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { signingInput } from './jwt.mjs';

export class DeviceKey {
  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    this.jwk = { kty, crv, x, y };
    this.thumbprint = createHash('sha256')
      .update(`{"crv":"${crv}","kty":"${kty}","x":"${x}","y":"${y}"}`)
      .digest('base64url');
  }

  /** A compact JWS over `header` and `payload`, signed ES256 (r || s). */
  sign(header, payload) {
    const input = signingInput(header, payload);
    const signature = sign('sha256', Buffer.from(input), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** A DPoP proof for `method` `url`; `claims` add or override (`nonce`, `ath`, `iat`, `jti`). */
  proof(method, url, claims = {}) {
    return this.sign(
      { typ: 'dpop+jwt', alg: 'ES256', jwk: this.jwk },
      { htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...claims },
    );
  }
}

/** `ath`: base64url SHA-256 of an access token. */
export function accessTokenHash(accessToken) {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}
