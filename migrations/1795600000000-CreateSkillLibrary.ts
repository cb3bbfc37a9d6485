import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The skill library's own records, which the `skills` index (rebuilt from the folders) cannot hold:
 * - `skill_library`: who owns each skill in the taxonomy and its newest version; the row goes when
 *   the skill is deleted, so the next promotion of the same id has a new owner;
 * - `skill_versions`: every promotion, overwrite, import and rollback, kept after a delete, so that
 *   numbering continues; the contents are in `<SKILLS_ROOT>/.history/<category>/<name>/<version>/`;
 * - `drafts`: the lifecycle of each job's draft (`promoted_skill_id` once promoted).
 */
export class CreateSkillLibrary1795600000000 implements MigrationInterface {
  name = 'CreateSkillLibrary1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE skill_library (
        skill_id text PRIMARY KEY,
        owner_id text,
        version integer NOT NULL CHECK (version >= 1),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE skill_versions (
        skill_id text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        action text NOT NULL CHECK (action IN ('promote', 'overwrite', 'import', 'rollback')),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        checksum text NOT NULL,
        validation jsonb NOT NULL,
        job_id text,
        restored_from integer,
        PRIMARY KEY (skill_id, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE drafts (
        job_id text PRIMARY KEY,
        name text NOT NULL,
        category text NOT NULL,
        owner_id text,
        promoted_skill_id text,
        promoted_version integer,
        promoted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX drafts_owner_idx ON drafts (owner_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE drafts`);
    await queryRunner.query(`DROP TABLE skill_versions`);
    await queryRunner.query(`DROP TABLE skill_library`);
  }
}
