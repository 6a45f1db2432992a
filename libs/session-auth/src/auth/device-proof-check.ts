import type { ExecutionContext } from '@nestjs/common';
import type { DeviceProofService } from '../binding/device-proof.service.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import type { HttpRequestLike, HttpResponseLike } from '../http/http-types.js';
import { deviceProofOf } from '../binding/proof-headers.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';
import type { AuthTarget } from './auth-target.js';

/**
 * `@RequireDeviceProof()`: after the access token and its session passed, a `DPoP` proof by the
 * key in the token's `cnf.jkt`, naming the token (`ath`) and a fresh server nonce. Every answer
 * carries the next nonce (`DPoP-Nonce`), so a refused client can retry at once.
 */
export async function checkDeviceProof(
  proofs: DeviceProofService | undefined,
  context: ExecutionContext,
  request: AuthTarget,
  token: string,
  admitted: AuthenticatedSession | Promise<AuthenticatedSession>,
): Promise<AuthenticatedSession> {
  const auth = await admitted;
  if (context.getType() !== 'http' || !proofs?.enabled) throw new SessionAuthError('FORBIDDEN');
  const response = context.switchToHttp().getResponse<HttpResponseLike>();
  proofs.offerNonce(response);
  const jkt = auth.claims.cnf?.jkt;
  if (!jkt) throw new SessionAuthError('DEVICE_KEY_REQUIRED');
  const proof = deviceProofOf(request as HttpRequestLike);
  if (!proof) throw new SessionAuthError('DPOP_PROOF_INVALID', 'A DPoP proof is required.');
  const key = await proofs.verify(proof, { nonce: true, accessToken: token });
  if (key?.thumbprint !== jkt)
    throw new SessionAuthError('DPOP_PROOF_INVALID', "The proof is not by the session's key.");
  return auth;
}
