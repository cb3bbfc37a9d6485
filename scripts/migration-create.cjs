// `npm run migration:create -- <PascalCaseName>`: writes an empty, hand-written migration and tells
// you to register it in migrations/index.ts.
const fs = require('node:fs');
const path = require('node:path');

const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) {
  console.error('Usage: npm run migration:create -- <PascalCaseName>');
  process.exit(2);
}
const stamp = Date.now();
const file = path.resolve(__dirname, '..', 'migrations', `${stamp}-${name}.ts`);
fs.writeFileSync(
  file,
  `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${stamp} implements MigrationInterface {
  name = '${name}${stamp}';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`\`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`\`);
  }
}
`,
);
console.log(
  `Created ${path.relative(process.cwd(), file)}; add ${name}${stamp} to migrations/index.ts`,
);
