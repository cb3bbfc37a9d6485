import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTokens1795000000000 implements MigrationInterface {
  name = 'CreateTokens1795000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        hash text NOT NULL UNIQUE,
        user_id text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'user')),
        read_only boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX tokens_user_id_idx ON tokens (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tokens`);
  }
}
