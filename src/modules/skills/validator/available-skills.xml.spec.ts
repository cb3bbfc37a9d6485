import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { collectSkillsForXml, escapeXml, renderAvailableSkillsXml } from './available-skills.xml';

describe('renderAvailableSkillsXml (protocol.md 4.3)', () => {
  it('renders an empty list', () => {
    expect(renderAvailableSkillsXml([])).toBe('<available_skills>\n</available_skills>');
  });

  it('renders one skill exactly', () => {
    expect(
      renderAvailableSkillsXml([
        {
          name: 'pdf-processing',
          description: 'Extracts text. Use when PDFs appear.',
          location: '/abs/path/skills/documents/pdf-processing/SKILL.md',
        },
      ]),
    ).toBe(
      [
        '<available_skills>',
        '<skill>',
        '<name>pdf-processing</name>',
        '<description>Extracts text. Use when PDFs appear.</description>',
        '<location>/abs/path/skills/documents/pdf-processing/SKILL.md</location>',
        '</skill>',
        '</available_skills>',
      ].join('\n'),
    );
  });

  it('sorts by name', () => {
    const xml = renderAvailableSkillsXml([
      { name: 'zeta', description: 'z', location: '/z' },
      { name: 'alpha', description: 'a', location: '/a' },
      { name: 'mid', description: 'm', location: '/m' },
    ]);
    expect([...xml.matchAll(/<name>(.*)<\/name>/g)].map((m) => m[1])).toEqual([
      'alpha',
      'mid',
      'zeta',
    ]);
  });

  it('escapes & < > " \' in every element', () => {
    const xml = renderAvailableSkillsXml([
      { name: 'a&b', description: `Use <when> "quoted" & 'single'`, location: "/p/it's<&>" },
    ]);
    expect(xml).toContain('<name>a&amp;b</name>');
    expect(xml).toContain(
      '<description>Use &lt;when&gt; &quot;quoted&quot; &amp; &apos;single&apos;</description>',
    );
    expect(xml).toContain('<location>/p/it&apos;s&lt;&amp;&gt;</location>');
  });

  it('drops characters XML cannot carry', () => {
    expect(escapeXml('a\u0001b\u0000c\td\ne')).toBe('abc\td\ne');
  });
});

describe('collectSkillsForXml', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'skills-root-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'skills-outside-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  function skill(base: string, rel: string, name: string, description = `Does ${name}.`): void {
    const dir = path.join(base, rel);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'SKILL.md'),
      `---\nname: ${name}\ndescription: ${JSON.stringify(description)}\n---\n# ${name}\n`,
    );
  }

  it('lists <root>/<category>/<name>/SKILL.md, leaving out drafts, _ and . folders', async () => {
    skill(root, 'python/async-await', 'async-await');
    skill(root, 'documents/pdf-processing', 'pdf-processing', 'Reads PDFs & forms.');
    skill(root, '_drafts/job-1/draft-skill', 'draft-skill');
    skill(root, '_drafts/draft-skill', 'draft-skill');
    skill(root, '_templates/template-skill', 'template-skill');
    skill(root, '.git/hidden-skill', 'hidden-skill');
    skill(root, 'python/_wip', 'wip');
    skill(root, 'python/.cache', 'cache');
    fs.writeFileSync(path.join(root, 'taxonomy_meta.json'), '{}');
    fs.mkdirSync(path.join(root, 'python', 'no-skill-md'));

    const skills = await collectSkillsForXml(root);
    expect(skills.map((s) => s.name).sort()).toEqual(['async-await', 'pdf-processing']);
    const xml = renderAvailableSkillsXml(skills);
    expect(xml).toBe(
      [
        '<available_skills>',
        '<skill>',
        '<name>async-await</name>',
        '<description>Does async-await.</description>',
        `<location>${path.join(root, 'python', 'async-await', 'SKILL.md')}</location>`,
        '</skill>',
        '<skill>',
        '<name>pdf-processing</name>',
        '<description>Reads PDFs &amp; forms.</description>',
        `<location>${path.join(root, 'documents', 'pdf-processing', 'SKILL.md')}</location>`,
        '</skill>',
        '</available_skills>',
      ].join('\n'),
    );
  });

  it('leaves out symlinks that escape the root, and lists a skill reachable twice once', async () => {
    skill(outside, 'evil/leaked', 'leaked');
    skill(outside, 'cat', 'outside-skill');
    skill(root, 'python/real-skill', 'real-skill');
    fs.symlinkSync(path.join(outside, 'evil'), path.join(root, 'evil'));
    fs.symlinkSync(path.join(outside, 'cat'), path.join(root, 'python', 'outside-skill'));
    fs.symlinkSync(path.join(root, 'python'), path.join(root, 'alias')); // inside: same skill
    fs.mkdirSync(path.join(root, 'web', 'linked-md'), { recursive: true });
    fs.symlinkSync(
      path.join(outside, 'cat', 'SKILL.md'),
      path.join(root, 'web', 'linked-md', 'SKILL.md'),
    );

    const skills = await collectSkillsForXml(root);
    expect(skills.map((s) => path.relative(root, s.location))).toEqual([
      path.join('python', 'real-skill', 'SKILL.md'),
    ]);
  });

  it('skips skills whose frontmatter cannot be read, and an unknown root', async () => {
    fs.mkdirSync(path.join(root, 'web', 'broken'), { recursive: true });
    fs.writeFileSync(path.join(root, 'web', 'broken', 'SKILL.md'), 'no frontmatter');
    fs.mkdirSync(path.join(root, 'web', 'no-desc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'web', 'no-desc', 'SKILL.md'), '---\nname: no-desc\n---\n');
    expect(await collectSkillsForXml(root)).toEqual([]);
    expect(await collectSkillsForXml(path.join(root, 'missing'))).toEqual([]);
  });
});
