import type { MigrationInterface, QueryRunner } from 'typeorm';

/** sessions and refresh_tokens, with an index for every query the library runs. */
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
        "revoke_reason" varchar(32)
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
    await queryRunner.query(`
      CREATE TABLE "refresh_tokens" (
        "id" uuid PRIMARY KEY,
        "session_id" uuid NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE,
        "token_hash" char(64) NOT NULL,
        "parent_id" uuid,
        "created_at" timestamptz NOT NULL,
        "spent_at" timestamptz,
        "sealed_successor" bytea
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_refresh_tokens_hash" ON "refresh_tokens" ("token_hash")`,
    );
    // The database itself guarantees at most one live (unspent) token per session.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_refresh_tokens_one_live_per_session" ON "refresh_tokens" ("session_id") WHERE spent_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_refresh_tokens_spent_at" ON "refresh_tokens" ("spent_at") WHERE spent_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_refresh_tokens_session" ON "refresh_tokens" ("session_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "refresh_tokens"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
  }
}
