import { SessionEntity } from '../persistence/session.entity.js';
import { decideRotation, type RotationRules } from './rotation-decision.js';

const now = new Date('2026-11-29T12:00:00Z');
const nonce = Buffer.alloc(16, 7);
const rules: RotationRules = {
  reuseGraceSeconds: 10,
  bindDevice: true,
  bindUserAgent: false,
  deviceBinding: 'optional',
};
const device = { deviceId: 'laptop' };

function session(overrides: Partial<SessionEntity> = {}): SessionEntity {
  return Object.assign(new SessionEntity(), {
    id: '7b0f6f0e-3c55-4a43-9a4f-7d4c1c5c0d11',
    userId: 'u1',
    deviceId: 'laptop',
    userAgent: 'UA',
    idleExpiresAt: new Date(now.getTime() + 60_000),
    absoluteExpiresAt: new Date(now.getTime() + 120_000),
    revokedAt: null,
    revokeReason: null,
    refreshGeneration: 5,
    refreshNonce: nonce,
    rotatedAt: new Date(now.getTime() - 3_000),
    ...overrides,
  });
}

const decide = (s: SessionEntity | undefined, generation: number, context = device, n = nonce) =>
  decideRotation(s, { generation, nonce: n }, now, context, rules);

describe('decideRotation', () => {
  it('retries the previous generation within the grace window, from the same device', () => {
    expect(decide(session(), 4)).toEqual({ kind: 'retry' });
  });

  it('calls the previous generation reuse after the window', () => {
    const late = session({ rotatedAt: new Date(now.getTime() - 10_001) });
    expect(decide(late, 4)).toEqual({ kind: 'reuse' });
    expect(decide(session({ rotatedAt: new Date(now.getTime() - 10_000) }), 4).kind).toBe('retry');
  });

  it('calls any older generation reuse, even within the window (A -> B -> C, then A)', () => {
    expect(decide(session(), 3)).toEqual({ kind: 'reuse' });
    expect(decide(session(), 0)).toEqual({ kind: 'reuse' });
    expect(decide(session(), -1)).toEqual({ kind: 'reuse' });
  });

  it('calls the previous generation from another device reuse, not a mismatch', () => {
    expect(decide(session(), 4, { deviceId: 'thief' })).toEqual({ kind: 'reuse' });
  });

  it('refuses the live generation from another device with DEVICE_MISMATCH', () => {
    expect(decide(session(), 5, { deviceId: 'thief' })).toEqual({
      kind: 'refuse',
      code: 'DEVICE_MISMATCH',
    });
  });

  it('refuses a generation never issued, a wrong nonce, or a missing session as invalid', () => {
    const invalid = { kind: 'refuse', code: 'REFRESH_TOKEN_INVALID' };
    expect(decide(session(), 6)).toEqual(invalid);
    expect(decide(session(), 4, device, Buffer.alloc(16, 8))).toEqual(invalid);
    expect(decide(undefined, 4)).toEqual(invalid);
  });

  it('answers a revoked session by its reason, before any reuse check', () => {
    const revoked = session({ revokedAt: now, revokeReason: 'TERMINATED' });
    expect(decide(revoked, 1)).toEqual({ kind: 'refuse', code: 'SESSION_REVOKED' });
    const expired = session({ revokedAt: now, revokeReason: 'EXPIRED' });
    expect(decide(expired, 4)).toEqual({ kind: 'refuse', code: 'REFRESH_TOKEN_EXPIRED' });
  });

  it('expires a session past its idle or absolute end, on the given clock', () => {
    expect(decide(session({ idleExpiresAt: now }), 5)).toEqual({ kind: 'expire' });
    expect(decide(session({ absoluteExpiresAt: new Date(now.getTime() - 1) }), 3)).toEqual({
      kind: 'expire',
    });
  });

  it('never retries a session that has not rotated yet', () => {
    expect(decide(session({ refreshGeneration: 1, rotatedAt: null }), 0)).toEqual({
      kind: 'reuse',
    });
  });

  describe('a session bound to a device key', () => {
    const bound = () => session({ keyThumbprint: 'device-key' });
    const withKey = (s: SessionEntity, generation: number, key: string | null) =>
      decideRotation(s, { generation, nonce, keyThumbprint: key }, now, device, rules);

    it('takes the live token without the key for theft (copied off the device)', () => {
      expect(withKey(bound(), 5, null)).toEqual({ kind: 'key-mismatch' });
      expect(withKey(bound(), 5, 'thief-key')).toEqual({ kind: 'key-mismatch' });
    });

    it('retries within the grace window only with the key', () => {
      expect(withKey(bound(), 4, 'device-key')).toEqual({ kind: 'retry' });
      expect(withKey(bound(), 4, null)).toEqual({ kind: 'key-mismatch' });
    });

    it('still calls an older generation reuse, key or not', () => {
      expect(withKey(bound(), 3, 'device-key')).toEqual({ kind: 'reuse' });
      expect(withKey(bound(), 3, null)).toEqual({ kind: 'reuse' });
    });

    it('checks no key with deviceBinding off', () => {
      const off = { ...rules, deviceBinding: 'off' as const };
      expect(decideRotation(bound(), { generation: 4, nonce }, now, device, off)).toEqual({
        kind: 'retry',
      });
    });

    it("refuses an unbound session's refresh without a key under 'required'", () => {
      const required = { ...rules, deviceBinding: 'required' as const };
      expect(decideRotation(session(), { generation: 4, nonce }, now, device, required)).toEqual({
        kind: 'refuse',
        code: 'DEVICE_KEY_REQUIRED',
      });
    });
  });
});
