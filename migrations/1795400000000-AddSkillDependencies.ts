import { MigrationInterface, QueryRunner } from 'typeorm';

/** The skill ids a skill declares, so the index can check the dependency graph without the disk. */
export class AddSkillDependencies1795400000000 implements MigrationInterface {
  name = 'AddSkillDependencies1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE skills ADD COLUMN dependencies text[] NOT NULL DEFAULT '{}'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE skills DROP COLUMN dependencies`);
  }
}
