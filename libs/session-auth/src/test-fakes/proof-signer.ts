import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';

/** A device key for specs: signs DPoP proofs (or anything else) the way a client would. */
export class ProofSigner {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor() {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    }));
  }

  get jwk(): Record<string, unknown> {
    return this.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  }

  /** A proof for `htm` `htu`; `header` and `claims` override or add members. */
  proof(
    htm: string,
    htu: string,
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
  ): string {
    return this.jws(
      { typ: 'dpop+jwt', alg: 'ES256', jwk: this.jwk, ...header },
      { htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...claims },
    );
  }

  /** A compact JWS signed with this key (ES256, r || s). */
  jws(header: Record<string, unknown>, payload: Record<string, unknown>): string {
    const input = `${b64(header)}.${b64(payload)}`;
    const signature = sign('sha256', Buffer.from(input), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${input}.${signature.toString('base64url')}`;
  }
}

/** A JWS "signed" with HMAC-SHA256 under `secret` (the algorithm-confusion attack). */
export function hs256Jws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string | Buffer,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
