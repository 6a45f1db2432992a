import type { DeviceBindingPolicy } from '../config/session-auth.options.js';
import type { SessionAuthErrorCode } from '../errors/error-codes.js';
import type { SessionContext } from './session-context.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { hasOutlived } from '../persistence/session-lifetime.js';

/** The rules the decision needs (from the resolved options). */
export interface RotationRules {
  reuseGraceSeconds: number;
  bindDevice: boolean;
  bindUserAgent: boolean;
  deviceBinding: DeviceBindingPolicy;
}

/** The token presented: the generation it names, and its session's nonce as the token carries it. */
export interface PresentedToken {
  generation: number;
  nonce: Buffer;
  /** Thumbprint of the device key the request proved; `null` or absent: it proved none. */
  keyThumbprint?: string | null;
}

/**
 * What to do with a token that the conditional UPDATE did not spend (the common path decides
 * nothing: it spends the live generation of a live session or matches no row):
 * - `retry`: the previous generation within the grace window, from the session's device; it gets
 *   the live generation's token again, never a second branch;
 * - `reuse`: any older generation, or the previous one after the window or from another device;
 * - `key-mismatch`: the live or grace-window token of a session bound to a device key, without a
 *   proof of that key: the token was copied off the device (theft, like `reuse`);
 * - `expire`: the session outlived its idle or absolute lifetime;
 * - `refuse`: not a token of this session, a revoked session, or a device mismatch.
 */
export type RotationDecision =
  | { kind: 'retry' }
  | { kind: 'reuse' }
  | { kind: 'key-mismatch' }
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
  const keyCheck = deviceKeyCheck(session, presented, rules);
  if (presented.generation === live) {
    if (keyCheck !== 'ok') return keyCheck;
    return { kind: 'refuse', code: mismatch ? 'DEVICE_MISMATCH' : 'REFRESH_TOKEN_INVALID' };
  }
  // Reuse detection comes before device binding: a spent token replayed from another device is
  // theft, and must revoke the session and raise the alarm, not pass for a device mismatch.
  const withinGrace =
    session.rotatedAt !== null &&
    now.getTime() - session.rotatedAt.getTime() <= rules.reuseGraceSeconds * 1000;
  if (presented.generation === live - 1 && withinGrace && !mismatch)
    return keyCheck === 'ok' ? { kind: 'retry' } : keyCheck;
  return { kind: 'reuse' };
}

/**
 * A bound session's token comes with a proof of its key, or it was copied off the device; an
 * unbound session under `required` needs a key before it refreshes again.
 */
function deviceKeyCheck(
  session: Pick<SessionEntity, 'keyThumbprint'>,
  presented: PresentedToken,
  rules: Pick<RotationRules, 'deviceBinding'>,
): 'ok' | { kind: 'key-mismatch' } | { kind: 'refuse'; code: SessionAuthErrorCode } {
  if (rules.deviceBinding === 'off') return 'ok';
  const proved = presented.keyThumbprint ?? null;
  if (session.keyThumbprint)
    return session.keyThumbprint === proved ? 'ok' : { kind: 'key-mismatch' };
  if (rules.deviceBinding === 'required' && !proved)
    return { kind: 'refuse', code: 'DEVICE_KEY_REQUIRED' };
  return 'ok';
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

/** A token's nonce must be its session's: a token of a deleted and re-created id does not fit. */
export function sameNonce(stored: Buffer, presented: Buffer): boolean {
  return stored.equals(presented);
}
