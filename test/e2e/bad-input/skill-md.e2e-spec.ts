import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliMain, runCliToEnd } from '#test/support/cli-run';
import { e2eMode } from '#test/support/e2e-env';
import { startTestServer, TestServer } from '#test/support/test-server';
import { WsTestClient } from '#test/support/ws-test-client';
import { StoredState, storedState } from './stored-state';

const body = '\n# Body\n\n## When to Use\n\nUse when testing.\n';
const frontmatter = (yaml: string) => `---\n${yaml}\n---\n${body}`;

/** `a` holds 9 strings, `b` 9 aliases of `a` … `j` expands to 9^10 strings if aliases are followed. */
function aliasBomb(): string {
  const lines = ['name: bomb', 'description: An alias bomb. Use when testing.'];
  lines.push(`a: &a [${Array(9).fill('"lol"').join(', ')}]`);
  for (let i = 1; i < 10; i++) {
    const [name, previous] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  return frontmatter(lines.join('\n'));
}

/** Hostile or broken SKILL.md texts and the error code each must be refused with. */
const CASES: { name: string; content: string; code: string }[] = [
  { name: 'no-frontmatter', content: body, code: 'FRONTMATTER_MISSING' },
  {
    name: 'unclosed',
    content: '---\nname: unclosed\ndescription: d\n\n# Body\n',
    code: 'FRONTMATTER_UNCLOSED',
  },
  {
    name: 'broken-yaml',
    content: frontmatter('name: [broken\ndescription: d'),
    code: 'FRONTMATTER_INVALID_YAML',
  },
  { name: 'alias-bomb', content: aliasBomb(), code: 'FRONTMATTER_TOO_LARGE' },
  {
    name: 'deep-nesting',
    content: frontmatter(
      `name: deep\ndescription: d\nmetadata: ${'['.repeat(5000)}${']'.repeat(5000)}`,
    ),
    code: 'FRONTMATTER_TOO_LARGE',
  },
  {
    name: 'huge-frontmatter',
    content: frontmatter(`name: huge\ndescription: ${'d'.repeat(70 * 1024)}`),
    code: 'FRONTMATTER_TOO_LARGE',
  },
  {
    name: 'js-function-tag',
    content: frontmatter('name: tags\ndescription: !!js/function "function () { return 1 }"'),
    code: 'FRONTMATTER_INVALID_YAML',
  },
  {
    name: 'python-object-tag',
    content: frontmatter('name: tags\ndescription: d\nx: !!python/object/apply:os.system ["ls"]'),
    code: 'FRONTMATTER_INVALID_YAML',
  },
  {
    name: 'custom-tag',
    content: frontmatter('name: tags\ndescription: !custom {a: 1}'),
    code: 'FRONTMATTER_INVALID_YAML',
  },
  {
    name: 'duplicate-keys',
    content: frontmatter('name: one\nname: two\ndescription: d'),
    code: 'FRONTMATTER_INVALID_YAML',
  },
  {
    name: 'a-list',
    content: frontmatter('- name\n- description'),
    code: 'FRONTMATTER_NOT_MAPPING',
  },
  {
    name: 'nul-bytes',
    content: frontmatter('name: n\u0000ul\ndescription: d'),
    code: 'SKILL_MD_BINARY',
  },
];

/**
 * Files that skills-ref refuses although the default mode accepts them: `validate --strict` refuses
 * each with its code, `validate` accepts it with the warning (folder name = skill name). The
 * other classes are in the unit table (skills-ref.parity.spec.ts); these check what only a file
 * read from disk shows (the byte-order mark survives reading) and that --strict gets through.
 */
const STRICT_ONLY: { name: string; content: string; code: string; warning: string }[] = [
  {
    name: 'bom',
    content: `\uFEFF---\nname: bom\ndescription: A byte-order mark. Use when testing.\n---\n${body}`,
    code: 'FRONTMATTER_MISSING',
    warning: 'BYTE_ORDER_MARK',
  },
  {
    name: 'flow',
    content: `---\nname: flow\ndescription: A flow mapping. Use when testing.\nmetadata: {a: b}\n---\n${body}`,
    code: 'FRONTMATTER_INVALID_YAML',
    warning: 'YAML_FLOW_COLLECTION',
  },
];

/** A file that skills-ref accepts (CR line endings, a description that is the text "null"). */
const STRICT_VALID = {
  name: 'cr-only',
  content: `---\nname: cr-only\ndescription: null\n---\n${body}`.replace(/\n/g, '\r'),
};

/** One skill folder per case under `<root>/hostile/`, the folder named after the case. */
function writeTaxonomy(root: string, extra: { name: string; content: string }[] = []): string {
  for (const { name, content } of [...CASES, ...extra]) {
    fs.mkdirSync(path.join(root, 'hostile', name), { recursive: true });
    fs.writeFileSync(path.join(root, 'hostile', name, 'SKILL.md'), content);
  }
  return root;
}

const codes = (report: { errors: { code: string }[] }) => report.errors.map((e) => e.code);

/**
 * SKILL.md content that must be refused through every door it can come in by: validation of content
 * over WebSocket, `skills.import` of a folder, and `skill-fleet validate`. Each gets its error code,
 * quickly, and nothing is stored.
 */
describe(`malformed, huge and hostile SKILL.md (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let admin: WsTestClient;
  let before: StoredState;
  const source = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-hostile-'));

  beforeAll(async () => {
    server = await startTestServer({ worker: false });
    admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
  });
  beforeEach(async () => {
    before = await storedState(server);
  });
  afterEach(async () => {
    expect(await storedState(server)).toEqual(before);
  });
  afterAll(async () => {
    admin?.close();
    await server?.stop();
    fs.rmSync(source, { recursive: true, force: true });
  });

  it.each(CASES)('skills.validate refuses $name with $code, at once', async ({ content, code }) => {
    const started = Date.now();
    const reply = await admin.request('skills.validate', { content });
    expect(Date.now() - started).toBeLessThan(2000);
    const report = reply.payload?.report as { valid: boolean; errors: { code: string }[] };
    expect(report.valid).toBe(false);
    expect(codes(report)).toContain(code);
    expect((await admin.request('ping')).ok).toBe(true);
  });

  it('skills.import rejects every hostile skill, each with its code, and copies nothing', async () => {
    const huge = `---\nname: huge-file\ndescription: d\n---\n${'word '.repeat(250_000)}`;
    writeTaxonomy(source, [{ name: 'huge-file', content: huge }]);
    const reply = await admin.request('skills.import', { path: source });
    const result = reply.payload as {
      imported: number;
      rejected: { path: string; errors: { code: string }[] }[];
    };
    expect(result.imported).toBe(0);
    const byName = new Map(result.rejected.map((r) => [path.basename(r.path), codes(r)]));
    for (const { name, code } of CASES)
      expect({ name, codes: byName.get(name) }).toEqual({
        name,
        codes: expect.arrayContaining([code]),
      });
    expect(byName.get('huge-file')).toContain('SKILL_MD_TOO_LARGE');
  });

  if (e2eMode() === 'embedded') {
    // The CLI reads the folder itself; one pass is enough.
    it('skill-fleet validate --json exits 1 with the code for each, no stack, no server', async () => {
      expect(fs.existsSync(cliMain)).toBe(true);
      const root = writeTaxonomy(fs.mkdtempSync(path.join(os.tmpdir(), 'sf-hostile-cli-')));
      try {
        for (const { name, code } of CASES) {
          const result = await runCliToEnd([
            'validate',
            path.join(root, 'hostile', name),
            '--json',
          ]);
          const report = JSON.parse(result.stdout) as {
            valid: boolean;
            errors: { code: string }[];
          };
          expect({ name, exit: result.code, valid: report.valid, stderr: result.stderr }).toEqual({
            name,
            exit: 1,
            valid: false,
            stderr: '',
          });
          expect({ name, codes: codes(report) }).toEqual({
            name,
            codes: expect.arrayContaining([code]),
          });
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }, 300_000);

    it('skill-fleet validate --strict gives the verdict of skills-ref; without it, a warning', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-strict-cli-'));
      const run = async (name: string, content: string, strict: boolean) => {
        fs.mkdirSync(path.join(root, name), { recursive: true });
        fs.writeFileSync(path.join(root, name, 'SKILL.md'), content);
        const args = ['validate', path.join(root, name), '--json', ...(strict ? ['--strict'] : [])];
        const result = await runCliToEnd(args);
        const report = JSON.parse(result.stdout) as {
          errors: { code: string }[];
          warnings: { code: string }[];
        };
        return {
          name,
          exit: result.code,
          errors: codes(report),
          warnings: report.warnings.map((w) => w.code),
        };
      };
      try {
        for (const { name, content, code, warning } of STRICT_ONLY) {
          expect(await run(name, content, true)).toEqual({
            name,
            exit: 1,
            errors: [code],
            warnings: [],
          });
          expect(await run(name, content, false)).toEqual({
            name,
            exit: 0,
            errors: [],
            warnings: expect.arrayContaining([warning]),
          });
        }
        expect(await run(STRICT_VALID.name, STRICT_VALID.content, true)).toEqual({
          name: STRICT_VALID.name,
          exit: 0,
          errors: [],
          warnings: [],
        });
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }, 300_000);
  }
});
