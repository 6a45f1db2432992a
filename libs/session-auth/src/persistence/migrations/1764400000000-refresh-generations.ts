import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens become derived (a MAC over session id, generation and a per-session nonce), so a
 * rotation writes one row. Adding columns with a constant default rewrites no row (PostgreSQL 11+):
 * existing sessions start at generation 0 with no nonce, and their live first-release token, still
 * in `refresh_tokens`, is exchanged for a generation-1 token at its next refresh. Nobody is signed
 * out. `refresh_tokens` stays (read-only) until every first-release session has ended.
 */
export class RefreshGenerations1764400000000 implements MigrationInterface {
  name = 'RefreshGenerations1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "sessions"
        ADD COLUMN "refresh_generation" integer NOT NULL DEFAULT 0,
        ADD COLUMN "refresh_nonce" bytea,
        ADD COLUMN "rotated_at" timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "sessions"
        DROP COLUMN "refresh_generation",
        DROP COLUMN "refresh_nonce",
        DROP COLUMN "rotated_at"`);
  }
}
