import { SetMetadata } from '@nestjs/common';
import { DEVICE_PROOF_KEY } from '../session-auth.constants.js';

/**
 * The route also needs a `DPoP` proof (RFC 9449) by the device key the session is bound to, naming
 * the access token (`ath`) and the last server nonce: a copied access token alone is refused.
 * Refusals: `DEVICE_KEY_REQUIRED` (the session is not bound), `DPOP_PROOF_INVALID`,
 * `DPOP_NONCE_REQUIRED` (with a fresh `DPoP-Nonce` header), `DPOP_PROOF_REPLAYED`. Routes without
 * it cost the guard nothing extra. HTTP only.
 */
export const RequireDeviceProof = (): MethodDecorator & ClassDecorator =>
  SetMetadata(DEVICE_PROOF_KEY, true);
