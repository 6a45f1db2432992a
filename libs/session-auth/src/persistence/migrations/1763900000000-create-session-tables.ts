import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema: `sessions`, with an index for every query the library runs. A session's
 * refresh tokens are derived from its row (generation and nonce, see tokens/refresh-token.crypto),
 * so no token is stored; a device-bound session keeps its key's thumbprint here too (and, when
 * the browser registered it through DBSC, the public key itself: DBSC refresh proofs do not carry it).
 */
export class CreateSessionTables1763900000000 implements MigrationInterface {
  name = 'CreateSessionTables1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "sessions" (
        "id" uuid PRIMARY KEY,
        "user_id" varchar(255) NOT NULL,
        "device_id" varchar(255),
        "device_name" varchar(255),
        "user_agent" varchar(512),
        "ip" varchar(64),
        "created_at" timestamptz NOT NULL,
        "authenticated_at" timestamptz NOT NULL,
        "last_active_at" timestamptz NOT NULL,
        "idle_expires_at" timestamptz NOT NULL,
        "absolute_expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        "revoke_reason" varchar(32),
        "refresh_generation" integer NOT NULL DEFAULT 0,
        "refresh_nonce" bytea NOT NULL,
        "rotated_at" timestamptz,
        "key_thumbprint" varchar(43),
        "key_alg" varchar(8),
        "key_source" varchar(8),
        "key_jwk" text
      )`);
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_user_active" ON "sessions" ("user_id", "last_active_at") WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_idle_expiry" ON "sessions" ("idle_expires_at") WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_absolute_expiry" ON "sessions" ("absolute_expires_at") WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_revoked_at" ON "sessions" ("revoked_at") WHERE revoked_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "sessions"`);
  }
}
