import type { SessionAuthErrorCode } from '../errors/error-codes.js';
import type { SessionContext } from './session-context.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { hasOutlived } from '../persistence/session-lifetime.js';

/** The rules the decision needs (from the resolved options). */
export interface RotationRules {
  reuseGraceSeconds: number;
  bindDevice: boolean;
  bindUserAgent: boolean;
}

/** The token presented: the generation it names, and the nonce (`null` for a first-release token). */
export interface PresentedToken {
  generation: number;
  nonce: Buffer | null;
}

/**
 * What to do with a token that the conditional UPDATE did not spend (the common path decides
 * nothing: it spends the live generation of a live session or matches no row):
 * - `retry`: the previous generation within the grace window, from the session's device; it gets
 *   the live generation's token again, never a second branch;
 * - `reuse`: any older generation, or the previous one after the window or from another device;
 * - `expire`: the session outlived its idle or absolute lifetime;
 * - `refuse`: not a token of this session, a revoked session, or a device mismatch.
 */
export type RotationDecision =
  | { kind: 'retry' }
  | { kind: 'reuse' }
  | { kind: 'expire' }
  | { kind: 'refuse'; code: SessionAuthErrorCode };

/** Decides on a token against its session's row, read at `now` (the database's clock). */
export function decideRotation(
  session: SessionEntity | undefined,
  presented: PresentedToken,
  now: Date,
  context: SessionContext,
  rules: RotationRules,
): RotationDecision {
  if (!session || !sameNonce(session.refreshNonce, presented.nonce))
    return { kind: 'refuse', code: 'REFRESH_TOKEN_INVALID' };
  if (session.revokedAt) {
    const code = session.revokeReason === 'EXPIRED' ? 'REFRESH_TOKEN_EXPIRED' : 'SESSION_REVOKED';
    return { kind: 'refuse', code };
  }
  if (hasOutlived(session, now)) return { kind: 'expire' };

  const live = session.refreshGeneration;
  // A generation ahead of the live one was never issued.
  if (presented.generation > live) return { kind: 'refuse', code: 'REFRESH_TOKEN_INVALID' };
  const mismatch = deviceMismatch(session, context, rules);
  if (presented.generation === live) {
    return { kind: 'refuse', code: mismatch ? 'DEVICE_MISMATCH' : 'REFRESH_TOKEN_INVALID' };
  }
  // Reuse detection comes before device binding: a spent token replayed from another device is
  // theft, and must revoke the session and raise the alarm, not pass for a device mismatch.
  const withinGrace =
    session.rotatedAt !== null &&
    now.getTime() - session.rotatedAt.getTime() <= rules.reuseGraceSeconds * 1000;
  if (presented.generation === live - 1 && withinGrace && !mismatch) return { kind: 'retry' };
  return { kind: 'reuse' };
}

/** Whether the request comes from another device than the session's (when binding is on). */
export function deviceMismatch(
  session: Pick<SessionEntity, 'deviceId' | 'userAgent'>,
  context: SessionContext,
  rules: Pick<RotationRules, 'bindDevice' | 'bindUserAgent'>,
): boolean {
  if (rules.bindDevice && session.deviceId && session.deviceId !== context.deviceId) return true;
  return rules.bindUserAgent && !!session.userAgent && session.userAgent !== context.userAgent;
}

/**
 * A first-release token (no nonce) names a session still without one, or one that exchanged it;
 * a current token's nonce must be the session's.
 */
export function sameNonce(stored: Buffer | null, presented: Buffer | null): boolean {
  if (presented === null) return true;
  return stored !== null && stored.equals(presented);
}
