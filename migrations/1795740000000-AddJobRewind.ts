import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rewind (`jobs.rewind`): a job goes back to one of its steps and runs again from there.
 * - `jobs.run` counts the job's runs (1, then one more per rewind); a workflow reads it, e.g. so that
 *   the rewound run of `skill.create` replaces its draft instead of finding the first one;
 * - `job_steps` and `hitl_prompts` keep what a rewind discarded, marked with `discarded_at`: the
 *   name (key) is unique only among the rows still in use, so the new run records its own;
 * - `drafts.version` counts the writes of a job's draft, and `drafts.run` the job run that wrote the
 *   current one (a re-delivery of the same run does not count twice).
 */
export class AddJobRewind1795740000000 implements MigrationInterface {
  name = 'AddJobRewind1795740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE jobs ADD COLUMN run integer NOT NULL DEFAULT 1`);

    await queryRunner.query(`ALTER TABLE job_steps ADD COLUMN discarded_at timestamptz`);
    await queryRunner.query(`ALTER TABLE job_steps DROP CONSTRAINT job_steps_pkey`);
    await queryRunner.query(`ALTER TABLE job_steps ADD COLUMN id bigserial PRIMARY KEY`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX job_steps_live_name_idx ON job_steps (job_id, name)
         WHERE discarded_at IS NULL`,
    );

    await queryRunner.query(`ALTER TABLE hitl_prompts ADD COLUMN discarded_at timestamptz`);
    await queryRunner.query(`ALTER TABLE hitl_prompts DROP CONSTRAINT hitl_prompts_job_id_key_key`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX hitl_prompts_live_key_idx ON hitl_prompts (job_id, key)
         WHERE discarded_at IS NULL`,
    );

    await queryRunner.query(
      `ALTER TABLE drafts ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 1)`,
    );
    await queryRunner.query(`ALTER TABLE drafts ADD COLUMN run integer NOT NULL DEFAULT 1`);
  }

  /** Drops what rewinds discarded: the old keys are unique again only among the rows in use. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE drafts DROP COLUMN run`);
    await queryRunner.query(`ALTER TABLE drafts DROP COLUMN version`);
    await queryRunner.query(`DELETE FROM hitl_prompts WHERE discarded_at IS NOT NULL`);
    await queryRunner.query(`DROP INDEX hitl_prompts_live_key_idx`);
    await queryRunner.query(`ALTER TABLE hitl_prompts ADD UNIQUE (job_id, key)`);
    await queryRunner.query(`ALTER TABLE hitl_prompts DROP COLUMN discarded_at`);
    await queryRunner.query(`DELETE FROM job_steps WHERE discarded_at IS NOT NULL`);
    await queryRunner.query(`DROP INDEX job_steps_live_name_idx`);
    await queryRunner.query(`ALTER TABLE job_steps DROP COLUMN id`);
    await queryRunner.query(`ALTER TABLE job_steps ADD PRIMARY KEY (job_id, name)`);
    await queryRunner.query(`ALTER TABLE job_steps DROP COLUMN discarded_at`);
    await queryRunner.query(`ALTER TABLE jobs DROP COLUMN run`);
  }
}
