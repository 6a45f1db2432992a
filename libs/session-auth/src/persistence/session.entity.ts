import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { RevokeReason } from './revoke-reason.js';

/** One signed-in device. The row is the truth; Redis only caches whether it is still active. */
@Entity({ name: 'sessions' })
@Index('idx_sessions_user_active', ['userId', 'lastActiveAt'], { where: 'revoked_at IS NULL' })
@Index('idx_sessions_idle_expiry', ['idleExpiresAt'], { where: 'revoked_at IS NULL' })
@Index('idx_sessions_absolute_expiry', ['absoluteExpiresAt'], { where: 'revoked_at IS NULL' })
@Index('idx_sessions_revoked_at', ['revokedAt'], { where: 'revoked_at IS NOT NULL' })
export class SessionEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId: string;

  @Column({ name: 'device_id', type: 'varchar', length: 255, nullable: true })
  deviceId: string | null;

  @Column({ name: 'device_name', type: 'varchar', length: 255, nullable: true })
  deviceName: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Last password sign-in; `@RequireFreshSession()` compares against it. */
  @Column({ name: 'authenticated_at', type: 'timestamptz' })
  authenticatedAt: Date;

  @Column({ name: 'last_active_at', type: 'timestamptz' })
  lastActiveAt: Date;

  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt: Date;

  @Column({ name: 'absolute_expires_at', type: 'timestamptz' })
  absoluteExpiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 32, nullable: true })
  revokeReason: RevokeReason | null;

  /** The refresh token generation that is live; every rotation adds one. */
  @Column({ name: 'refresh_generation', type: 'integer', default: 0 })
  refreshGeneration: number;

  /** 128 random bits, drawn at sign-in, that every token of this session is MACed with. */
  @Column({ name: 'refresh_nonce', type: 'bytea' })
  refreshNonce: Buffer;

  /** When the live generation was issued by a rotation: the grace window runs from here. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  /** RFC 7638 thumbprint of the device key the session is bound to; set once, never replaced. */
  @Column({ name: 'key_thumbprint', type: 'varchar', length: 43, nullable: true })
  keyThumbprint: string | null;

  /** The device key's algorithm (`ES256`), with the thumbprint. */
  @Column({ name: 'key_alg', type: 'varchar', length: 8, nullable: true })
  keyAlg: string | null;

  /** How the key was registered: `dpop` (the client package) or `dbsc` (the browser). */
  @Column({ name: 'key_source', type: 'varchar', length: 8, nullable: true })
  keySource: DeviceKeySource | null;

  /**
   * The public key (a P-256 JWK as JSON) of a key registered through DBSC: its refresh proofs do
   * not carry it. `null` for DPoP keys (every DPoP proof carries its key).
   */
  @Column({ name: 'key_jwk', type: 'text', nullable: true })
  keyJwk: string | null;
}

/** How a session's device key was registered. */
export type DeviceKeySource = 'dpop' | 'dbsc';
