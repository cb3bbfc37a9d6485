import * as path from 'node:path';
import { collectSkillsForXml, renderAvailableSkillsXml } from '#src/modules/skills/validator/index';
import { CapturedOutput, isolateExitCode, runCommand } from '#test/support/command-harness';
import { CliOutput } from '../cli-output';
import { UsageError } from '../usage-error';
import { ValidateCommand } from './validate.command';
import { XmlCommand } from './xml.command';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures');

describe('validate and xml commands (offline)', () => {
  let out: CapturedOutput;
  let failures: Error[];

  const run = (...args: string[]) =>
    runCommand(
      {
        providers: [ValidateCommand, XmlCommand, CliOutput],
        overrides: [[CliOutput, out]],
        serviceErrorHandler: (error) => {
          failures.push(error);
        },
      },
      args,
    );

  isolateExitCode();
  beforeEach(() => {
    out = new CapturedOutput();
    failures = [];
  });

  it('prints a readable report and exits 0 for a valid skill', async () => {
    await run('validate', path.join(FIXTURES, 'skills/python/async-await'));
    expect(process.exitCode).toBe(0);
    expect(out.lines[0]).toMatch(/async-await: valid \(0 errors, \d+ warnings?\)$/);
    expect(out.documents).toEqual([]);
  });

  it('prints the protocol report with --json and exits 1 for an invalid skill', async () => {
    const dir = path.join(FIXTURES, 'skills-invalid/name-mismatch');
    await run('validate', dir, '--json');
    expect(process.exitCode).toBe(1);
    expect(out.lines).toEqual([]);
    expect(out.documents).toEqual([
      {
        path: dir,
        valid: false,
        errors: [expect.objectContaining({ code: 'NAME_DIR_MISMATCH', field: 'name' })],
        warnings: expect.any(Array),
        skill: expect.objectContaining({ name: expect.any(String) }),
      },
    ]);
  });

  it('reports PATH_NOT_FOUND with exit 1 for a missing folder', async () => {
    await run('validate', '/nonexistent/skill', '--json');
    expect(process.exitCode).toBe(1);
    expect(out.documents).toEqual([
      {
        path: '/nonexistent/skill',
        valid: false,
        errors: [{ code: 'PATH_NOT_FOUND', message: 'Path does not exist: /nonexistent/skill' }],
        warnings: [],
        skill: null,
      },
    ]);
  });

  it('applies the specification alone with --strict', async () => {
    const dir = path.join(FIXTURES, 'skills-invalid/extra-fields');
    await run('validate', dir, '--json');
    const lenient = out.documents.pop() as { errors: { code: string }[] };
    await run('validate', dir, '--json', '--strict');
    const strict = out.documents.pop() as { errors: { code: string }[]; warnings: unknown[] };
    expect(lenient.errors.map((e) => e.code)).not.toContain('UNEXPECTED_FIELD');
    expect(strict.errors.map((e) => e.code)).toContain('UNEXPECTED_FIELD');
    expect(strict.warnings).toEqual([]);
    expect(process.exitCode).toBe(1);
  });

  it('prints <available_skills> for --root', async () => {
    const root = path.join(FIXTURES, 'skills');
    await run('xml', '--root', root);
    expect(out.lines).toEqual([renderAvailableSkillsXml(await collectSkillsForXml(root))]);
    expect(out.lines[0]).toContain(`<location>${root}/python/async-await/SKILL.md</location>`);
  });

  it('calls a missing --root a usage error', async () => {
    await run('xml', '--root', '/nonexistent/root');
    expect(failures).toEqual([expect.any(UsageError)]);
    expect(out.lines).toEqual([]);
  });
});
