import type { RevokeReason } from './revoke-reason.js';
import { type DeviceKeySource, SessionEntity } from './session.entity.js';

/** A `sessions` row as the driver returns it from raw SQL. */
export interface SessionRow {
  id: string;
  user_id: string;
  device_id: string | null;
  device_name: string | null;
  user_agent: string | null;
  ip: string | null;
  created_at: Date;
  authenticated_at: Date;
  last_active_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
  refresh_generation: number;
  refresh_nonce: Buffer;
  rotated_at: Date | null;
  key_thumbprint: string | null;
  key_alg: string | null;
  key_source: string | null;
  key_jwk: string | null;
}

/** The entity of a raw row. */
export function toSessionEntity(row: SessionRow): SessionEntity {
  return Object.assign(new SessionEntity(), {
    id: row.id,
    userId: row.user_id,
    deviceId: row.device_id,
    deviceName: row.device_name,
    userAgent: row.user_agent,
    ip: row.ip,
    createdAt: row.created_at,
    authenticatedAt: row.authenticated_at,
    lastActiveAt: row.last_active_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason as RevokeReason | null,
    refreshGeneration: row.refresh_generation,
    refreshNonce: row.refresh_nonce,
    rotatedAt: row.rotated_at,
    keyThumbprint: row.key_thumbprint,
    keyAlg: row.key_alg,
    keySource: row.key_source as DeviceKeySource | null,
    keyJwk: row.key_jwk,
  });
}
