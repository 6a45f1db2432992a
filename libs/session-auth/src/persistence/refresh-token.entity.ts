import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One refresh token of a session's rotation chain. Only the SHA-256 of the raw token is stored. A
 * spent token keeps its successor sealed with a key derived from the spent raw token, for the grace
 * window only, so a concurrent retry gets the same successor without Redis.
 */
@Entity({ name: 'refresh_tokens' })
@Index('uq_refresh_tokens_one_live_per_session', ['sessionId'], {
  unique: true,
  where: 'spent_at IS NULL',
})
@Index('idx_refresh_tokens_spent_at', ['spentAt'], { where: 'spent_at IS NOT NULL' })
@Index('idx_refresh_tokens_session', ['sessionId'])
export class RefreshTokenEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  /** Hex SHA-256 of the raw token. */
  @Index('uq_refresh_tokens_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'spent_at', type: 'timestamptz', nullable: true })
  spentAt: Date | null;

  /** The successor, AES-256-GCM sealed under a key derived from this token; cleared after the grace window. */
  @Column({ name: 'sealed_successor', type: 'bytea', nullable: true })
  sealedSuccessor: Buffer | null;
}
