/* eslint-disable no-control-regex -- these patterns exist to find control characters */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliMain, onlyJson, remoteCli, removeCliWorkDirs } from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { startTestServer, TestServer } from '../support/test-server';

const ESC = '\u001b';
const TITLE = `${ESC}]0;pwned-title\u0007`;
const CLEAR = `${ESC}[2J`;
const C1_CSI = '\u009b31m';

const SKILL_MD = `---
name: hostile-text
description: Shows terminal escape codes in a skill body. Use when testing that the CLI strips them.
---

# Hostile text

Before the title${TITLE} after the title.
Before the clear${CLEAR} after the clear.
An 8-bit CSI${C1_CSI} here, a carriage return\rthere, and {bold} braces.
`;

/**
 * Skill content is the library's, not the operator's: `skills show` and `skills list` print it with
 * no control sequence, as text and as JSON.
 */
describe(`terminal text in the CLI (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let folder: string;
  let remote: ReturnType<typeof remoteCli>;

  beforeAll(async () => {
    if (!fs.existsSync(cliMain))
      throw new Error('dist/cli/main.js is missing: run `npm run build`');
    server = await startTestServer({ worker: false });
    remote = remoteCli(server.wsUrl, server.adminToken);
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-hostile-'));
    fs.mkdirSync(path.join(folder, 'testing', 'hostile-text'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'testing', 'hostile-text', 'SKILL.md'), SKILL_MD);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(folder, { recursive: true, force: true });
    removeCliWorkDirs();
  });

  it('skills show prints a body holding OSC, CSI and C1 sequences with no ESC or C1 byte', async () => {
    const imported = await remote('skills', 'import', folder, '--json');
    expect(onlyJson(imported)).toMatchObject({ imported: 1 });
    const listed = onlyJson(await remote('skills', 'list', '--json'));
    const skill = (listed.skills as { id: string; name: string }[]).find(
      (s) => s.name === 'hostile-text',
    )!;
    expect(skill).toBeDefined();

    const human = await remote('skills', 'show', skill.id);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Before the title after the title.');
    expect(human.stdout).toContain('Before the clear after the clear.');
    expect(human.stdout).toContain('{bold} braces');
    for (const output of [human.stdout, human.stderr]) {
      expect(output).not.toContain(ESC);
      expect(output).not.toMatch(/[\u0080-\u009f\r\u0007]/);
    }

    // JSON keeps the content (escaped), so a script reads exactly what is stored.
    const json = await remote('skills', 'show', skill.id, '--json');
    expect(json.stdout).not.toContain(ESC);
    expect(json.stdout).not.toMatch(/[\u0080-\u009f]/);
    expect(String(onlyJson(json).content)).toContain(`title${TITLE} after`);

    const table = await remote('skills', 'list');
    expect(table.stdout).toContain('hostile-text');
    expect(table.stdout).not.toContain(ESC);
  }, 180_000);
});
