import type { SessionEntity } from '../persistence/session.entity.js';

/** A live session row for specs: signed in an hour ago, active now, a week of idle life left. */
export function sessionEntity(overrides: Partial<SessionEntity> = {}): SessionEntity {
  const now = Date.now();
  return {
    id: '0b6f1c1e-3a52-4c1e-9d5e-2b0f3c3a9e11',
    userId: 'user-1',
    deviceId: null,
    deviceName: 'Laptop',
    userAgent: null,
    ip: null,
    createdAt: new Date(now - 3_600_000),
    authenticatedAt: new Date(now - 3_600_000),
    lastActiveAt: new Date(now),
    idleExpiresAt: new Date(now + 7 * 86_400_000),
    absoluteExpiresAt: new Date(now + 30 * 86_400_000),
    revokedAt: null,
    revokeReason: null,
    refreshGeneration: 0,
    refreshNonce: Buffer.alloc(16, 1),
    rotatedAt: null,
    keyThumbprint: null,
    keyAlg: null,
    keySource: null,
    keyJwk: null,
    ...overrides,
  };
}
