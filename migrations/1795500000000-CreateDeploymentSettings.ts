import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Facts every process of one deployment must agree on, checked at startup. First: the SKILLS_ROOT the
 * skills index was built from, so a process pointed elsewhere does not rebuild the index from the
 * wrong folder.
 */
export class CreateDeploymentSettings1795500000000 implements MigrationInterface {
  name = 'CreateDeploymentSettings1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE deployment_settings (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE deployment_settings`);
  }
}
