import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device-bound sessions: the thumbprint (RFC 7638) and algorithm of the device key a session is
 * bound to, and how it was registered (DPoP from the client package, or the browser's DBSC).
 * Nullable columns without a default rewrite no row; existing sessions stay unbound.
 */
export class DeviceBinding1765100000000 implements MigrationInterface {
  name = 'DeviceBinding1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "sessions"
        ADD COLUMN "key_thumbprint" varchar(43),
        ADD COLUMN "key_alg" varchar(8),
        ADD COLUMN "key_source" varchar(8)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "sessions"
        DROP COLUMN "key_thumbprint",
        DROP COLUMN "key_alg",
        DROP COLUMN "key_source"`);
  }
}
