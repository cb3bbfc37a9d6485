import { MigrationInterface, QueryRunner } from 'typeorm';

/** The engine's tables: jobs (the truth), their ordered event log, and memoised step results. */
export class CreateJobs1795200000000 implements MigrationInterface {
  name = 'CreateJobs1795200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workflow text NOT NULL,
        status text NOT NULL
          CHECK (status IN ('queued', 'running', 'waiting', 'completed', 'failed', 'cancelled')),
        input jsonb NOT NULL,
        owner_id text NOT NULL,
        idempotency_key text,
        current_step text,
        progress jsonb NOT NULL DEFAULT '{"percent": 0, "message": null}',
        result jsonb,
        error jsonb,
        open_prompt_id uuid,
        attempts integer NOT NULL DEFAULT 0,
        last_seq integer NOT NULL DEFAULT 0,
        run_at timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_expires_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX jobs_owner_idempotency_key_idx ON jobs (owner_id, idempotency_key)
         WHERE idempotency_key IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX jobs_status_updated_at_idx ON jobs (status, updated_at)`);
    await queryRunner.query(
      `CREATE INDEX jobs_owner_created_at_idx ON jobs (owner_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX jobs_created_at_idx ON jobs (created_at DESC, id DESC)`);
    await queryRunner.query(
      `CREATE INDEX jobs_open_leases_idx ON jobs (lease_expires_at) WHERE status = 'running'`,
    );
    await queryRunner.query(`
      CREATE TABLE job_events (
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, seq)
      )`);
    await queryRunner.query(`
      CREATE TABLE job_steps (
        job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        attempt integer NOT NULL DEFAULT 1,
        output jsonb,
        usage jsonb,
        error jsonb,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        duration_ms integer,
        PRIMARY KEY (job_id, name)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_steps`);
    await queryRunner.query(`DROP TABLE job_events`);
    await queryRunner.query(`DROP TABLE jobs`);
  }
}
