/**
 * The skill library through the CLI: drafts list/show/delete and skills promote/history/rollback/
 * delete, each with --json, run as a user who owns what they change. Rights and refusals are covered
 * over the socket in skills-library.e2e-spec; this spec checks that the commands reach them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TokensService } from '#src/modules/auth/tokens.service';
import { SkillsService } from '#src/modules/skills/skills.service';
import { CliResult, onlyJson, remoteCli, removeCliWorkDirs } from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { startTestServer, TestServer } from '../support/test-server';

const skillMd = (name: string, body: string) =>
  `---\nname: ${name}\ndescription: ${name} for the CLI library tests. Use when testing.\n---\n# ${name}\n\n## When to Use\n\n${body}\n`;

interface DraftRow {
  jobId: string;
  status: string;
}

describe(`library CLI (${e2eMode()} mode)`, () => {
  const skillId = 'tools/cli-library';
  let server: TestServer;
  let skills: SkillsService;
  let cli: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    server = await startTestServer();
    skills = server.app.get(SkillsService);
    const carol = await server.app.get(TokensService).create('carol', 'user');
    cli = remoteCli(server.wsUrl, carol.token);
  });
  afterAll(async () => {
    await server?.stop();
    removeCliWorkDirs();
  });

  const draft = (jobId: string, body: string) =>
    skills.writeDraft(jobId, 'cli-library', skillMd('cli-library', body), {
      category: 'tools',
      ownerId: 'carol',
    });
  const json = async (...args: string[]): Promise<Record<string, unknown>> => {
    const result = await cli(...args, '--json');
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({
      args,
      code: 0,
      stderr: '',
    });
    return onlyJson(result);
  };
  const liveFile = () => path.join(server.config.skillsRoot, skillId, 'SKILL.md');

  it('promotes, lists versions, rolls back and deletes a skill', async () => {
    await draft('job-cli-1', 'First body.');
    const listed = (await json('drafts', 'list')).drafts as DraftRow[];
    expect(listed).toContainEqual(expect.objectContaining({ jobId: 'job-cli-1', status: 'open' }));

    expect(await json('skills', 'promote', 'job-cli-1')).toMatchObject({
      skill: { id: skillId, version: 1, ownerId: 'carol' },
    });
    await draft('job-cli-2', 'Second body.');
    expect(await json('skills', 'promote', 'job-cli-2', '--overwrite')).toMatchObject({
      skill: { id: skillId, version: 2 },
    });

    const history = (await json('skills', 'history', skillId)).versions as {
      version: number;
      by: string;
    }[];
    expect(history.map((v) => [v.version, v.by])).toEqual([
      [1, 'carol'],
      [2, 'carol'],
    ]);

    expect(await json('skills', 'rollback', skillId, '--to', '1')).toMatchObject({
      skill: { id: skillId, version: 3 },
    });
    expect(fs.readFileSync(liveFile(), 'utf8')).toContain('First body.');

    const promoted = (await json('drafts', 'list', '--status', 'promoted')).drafts as DraftRow[];
    expect(promoted.map((d) => d.jobId).sort()).toEqual(['job-cli-1', 'job-cli-2']);

    expect(await json('skills', 'delete', skillId, '--yes')).toEqual({ deleted: true });
    expect(fs.existsSync(liveFile())).toBe(false);
  });

  it('shows and deletes a draft, and then no longer finds it', async () => {
    await draft('job-cli-3', 'A draft to throw away.');
    const shown = await cli('drafts', 'show', 'job-cli-3');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('A draft to throw away.');

    expect(await json('drafts', 'delete', 'job-cli-3', '--yes')).toEqual({ deleted: true });
    const gone = await cli('drafts', 'show', 'job-cli-3');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('Draft of job job-cli-3 not found');
  });

  it('refuses a rollback without --to, naming the flag', async () => {
    const result = await cli('skills', 'rollback', skillId);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--to N');
  });
});
