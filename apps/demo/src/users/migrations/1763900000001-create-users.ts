import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1763900000001 implements MigrationInterface {
  name = 'CreateUsers1763900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" uuid PRIMARY KEY,
        "email" varchar(254) NOT NULL,
        "name" varchar(100),
        "password_hash" varchar(60) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
