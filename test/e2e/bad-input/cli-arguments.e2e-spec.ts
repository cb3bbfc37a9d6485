import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliWorkDir, onlyJson, removeCliWorkDirs, runCliToEnd } from '#test/support/cli-run';
import { e2eMode } from '#test/support/e2e-env';

const STACK_LINE = /^\s+at /m;

/**
 * Option values the CLI must refuse as usage errors (protocol.md §3: exit 2, `{error: {code,
 * message}}` with --json), writing nothing. Commander's own usage errors (unknown options and
 * commands, missing arguments) are in cli-admin.e2e-spec.ts, refused remote values (`--older-than`,
 * `--status`, `--answer`) in cli-remote.e2e-spec.ts. The CLI does not depend on the mode: one pass.
 */
(e2eMode() === 'embedded' ? describe : describe.skip)('bad CLI arguments', () => {
  afterAll(() => removeCliWorkDirs());

  const run = async (args: string[]) => {
    const dataDir = path.join(cliWorkDir(), 'data');
    const result = await runCliToEnd(args, { dataDir });
    return { ...result, dataDirWritten: fs.existsSync(dataDir) };
  };

  it.each([
    ['a --port that is not a number', ['serve', '--port', 'abc'], /--port/],
    ['a --port out of range', ['serve', '--port', '99999'], /--port/],
    ['a --url that is not a URL', ['jobs', 'list', '--url', 'not a url', '--token', 't'], /--url/],
    [
      'an --older-than with no number',
      ['jobs', 'purge', '--older-than', 'd', '--token', 't'],
      /--older-than/,
    ],
  ])('%s: exit 2, a USAGE error naming the option, nothing written', async (_label, args, why) => {
    const json = await run([...args, '--json']);
    expect({ code: json.code, dataDirWritten: json.dataDirWritten }).toEqual({
      code: 2,
      dataDirWritten: false,
    });
    expect(onlyJson(json)).toEqual({
      error: { code: 'USAGE', message: expect.stringMatching(why) },
    });
    const human = await run(args);
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(why);
    expect(human.stderr).not.toMatch(STACK_LINE);
  });

  it('xml --root of a path that is not a folder: exit 2 naming --root (xml has no --json)', async () => {
    const result = await run(['xml', '--root', '/does/not/exist']);
    expect({ code: result.code, stdout: result.stdout, written: result.dataDirWritten }).toEqual({
      code: 2,
      stdout: '',
      written: false,
    });
    expect(result.stderr).toMatch(/--root .* is not a folder/);
  });

  it('validate of a folder that does not exist is a report (PATH_NOT_FOUND, exit 1), not a crash', async () => {
    const result = await run(['validate', '/does/not/exist', '--json']);
    expect(result.code).toBe(1);
    expect(onlyJson(result)).toMatchObject({
      valid: false,
      errors: [{ code: 'PATH_NOT_FOUND' }],
    });
  });
});
