import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSkills1795100000000 implements MigrationInterface {
  name = 'CreateSkills1795100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // 'english' stems words so that "cancelling" finds "cancellation"; the regconfig is written out
    // because a generated column needs an immutable expression. The body is cut at 256k characters
    // to stay clear of tsvector's 1 MB limit.
    await queryRunner.query(`
      CREATE TABLE skills (
        id text PRIMARY KEY,
        name text NOT NULL,
        description text NOT NULL,
        category text NOT NULL,
        path text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'draft', 'deprecated')),
        version text NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        checksum text NOT NULL,
        validation jsonb NOT NULL,
        body text NOT NULL,
        owner_id text,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english'::regconfig, name), 'A') ||
          setweight(to_tsvector('english'::regconfig, description), 'B') ||
          setweight(to_tsvector('english'::regconfig, left(body, 262144)), 'C')
        ) STORED,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX skills_search_idx ON skills USING GIN (search)`);
    await queryRunner.query(`CREATE INDEX skills_category_idx ON skills (category)`);
    await queryRunner.query(`CREATE INDEX skills_status_idx ON skills (status)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE skills`);
  }
}
