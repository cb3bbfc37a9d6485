// Writes the REST API's OpenAPI document (the one /api/docs-json serves) from the built app, without a
// database or a port (buildOpenApiDocument, Nest's preview mode), then lints it with Redocly's CLI
// against redocly.yaml. `npm run build` first. Exits with the linter's status.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const output = path.join(root, '.test-results', 'openapi.json');

async function main() {
  const { AppConfig } = require(path.join(root, 'dist/src/config/app-config.js'));
  const { buildOpenApiDocument } = require(path.join(root, 'dist/src/server.js'));
  // Only the defaults: a developer's DATABASE_URL or LLM settings must not change the document.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-openapi-'));
  try {
    const document = await buildOpenApiDocument(AppConfig.fromEnvironment({ DATA_DIR: dataDir }));
    fs.mkdirSync(path.dirname(output), { recursive: true });
    fs.writeFileSync(output, `${JSON.stringify(document, null, 2)}\n`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`wrote ${path.relative(root, output)}`);
  const lint = spawnSync(
    path.join(root, 'node_modules', '.bin', 'redocly'),
    ['lint', '--config', path.join(root, 'redocly.yaml'), output],
    { cwd: root, stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off' } },
  );
  process.exit(lint.status ?? 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
