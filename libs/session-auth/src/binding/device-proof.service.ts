import { Inject, Injectable } from '@nestjs/common';
import type { HttpResponseLike } from '../http/http-types.js';
import { setNonceHeader } from './proof-headers.js';
import { SessionCache } from '../cache/session-cache.interface.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { DeviceKey } from './device-jwk.js';
import { type ProofTarget, verifyDpopProof } from './dpop-proof.js';
import { ProofNonces } from './proof-nonce.js';
import { ProofReplayGuard } from './proof-replay.js';

/** A proof as it arrived: the `DPoP` header and the request it claims to be for. */
export interface DeviceProofRequest extends ProofTarget {
  /** The compact JWT of the `DPoP` request header. */
  proof: string;
}

/** Seconds a proof's `iat` may be from the server's clock, either way. */
export const PROOF_MAX_AGE_SECONDS = 60;
/** Seconds a server nonce stays fresh. */
export const PROOF_NONCE_TTL_SECONDS = 300;
/** How long an accepted `jti` is remembered: as long as its proof could pass the `iat` check. */
const JTI_TTL_MS = (2 * PROOF_MAX_AGE_SECONDS + 5) * 1000;

/**
 * Checks device-key proofs (DPoP, RFC 9449) for sign-in, refresh and routes that require one, and
 * hands out the server nonces they must carry. Every failure is a SessionAuthError:
 * `DPOP_PROOF_INVALID`, `DPOP_NONCE_REQUIRED` (retry with the nonce of the `DPoP-Nonce` header)
 * or `DPOP_PROOF_REPLAYED`.
 */
@Injectable()
export class DeviceProofService {
  private readonly nonces: ProofNonces;
  private readonly replays: ProofReplayGuard;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    @Inject(SessionCache) cache: SessionCache,
  ) {
    this.nonces = new ProofNonces(
      options.refreshTokenKeys.map((k) => k.key),
      PROOF_NONCE_TTL_SECONDS,
    );
    this.replays = new ProofReplayGuard(cache);
  }

  /** Whether proofs are checked at all (`deviceBinding` is not `'off'`). */
  get enabled(): boolean {
    return this.options.deviceBinding !== 'off';
  }

  /** A fresh server nonce for the `DPoP-Nonce` header. */
  issueNonce(): string {
    return this.nonces.issue();
  }

  /** Sets `DPoP-Nonce` on a response (nothing when binding is off). */
  offerNonce(response: HttpResponseLike): void {
    if (this.enabled) setNonceHeader(response, this.issueNonce());
  }

  /**
   * The device key `request` proves possession of; `undefined` when no proof came (or binding is
   * off). `nonce`: the proof must carry a fresh server nonce (refresh, protected routes; a sign-in
   * proof need not, it proves possession before the client has a nonce).
   */
  async verify(
    request: DeviceProofRequest | undefined,
    use: { nonce: boolean; accessToken?: string },
  ): Promise<DeviceKey | undefined> {
    if (!this.enabled || !request) return undefined;
    const result = verifyDpopProof(request.proof, request, {
      nowMs: Date.now(),
      maxAgeSeconds: PROOF_MAX_AGE_SECONDS,
      nonceIsFresh: use.nonce ? (nonce) => this.nonces.isFresh(nonce) : undefined,
      accessToken: use.accessToken,
    });
    if ('kind' in result) {
      const code = result.kind === 'nonce' ? 'DPOP_NONCE_REQUIRED' : 'DPOP_PROOF_INVALID';
      throw new SessionAuthError(code, `The device proof is not valid: ${result.detail}.`);
    }
    if (!(await this.replays.firstUse(result.key.thumbprint, result.jti, JTI_TTL_MS)))
      throw new SessionAuthError('DPOP_PROOF_REPLAYED');
    return result.key;
  }
}
