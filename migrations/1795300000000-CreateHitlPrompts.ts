import { MigrationInterface, QueryRunner } from 'typeorm';

/** Questions jobs ask people: one row per ask, open until answered, expired or cancelled. */
export class CreateHitlPrompts1795300000000 implements MigrationInterface {
  name = 'CreateHitlPrompts1795300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE hitl_prompts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        key text NOT NULL,
        kind text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'answered', 'expired', 'cancelled')),
        title text NOT NULL,
        body text,
        payload jsonb NOT NULL,
        actions jsonb NOT NULL DEFAULT '[]',
        answer jsonb,
        answered_by text,
        answered_at timestamptz,
        expires_at timestamptz,
        timeout_action text NOT NULL DEFAULT 'cancel'
          CHECK (timeout_action IN ('cancel', 'fail', 'default')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (job_id, key)
      )`);
    await queryRunner.query(
      `CREATE INDEX hitl_prompts_status_created_at_idx ON hitl_prompts (status, created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX hitl_prompts_open_expiry_idx ON hitl_prompts (expires_at) WHERE status = 'open'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hitl_prompts`);
  }
}
