import * as fs from 'node:fs';
import * as path from 'node:path';

import { collectSkillsForXml, renderAvailableSkillsXml } from './available-skills.xml';
import { computeQualityScore } from './quality';
import { validateSkillDir } from './skill.validator';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');
const VALID_ROOT = path.join(FIXTURES, 'skills');
const INVALID_ROOT = path.join(FIXTURES, 'skills-invalid');

/** `<root>/<category>/<name>` folders of the valid fixtures. */
function validSkillDirs(): string[] {
  return fs
    .readdirSync(VALID_ROOT)
    .sort()
    .flatMap((category) =>
      fs
        .readdirSync(path.join(VALID_ROOT, category))
        .sort()
        .map((name) => path.join(VALID_ROOT, category, name)),
    );
}

describe('skill fixtures (test/fixtures/skills)', () => {
  const dirs = validSkillDirs();

  it('has about twenty skills in several categories', () => {
    expect(dirs.length).toBeGreaterThanOrEqual(20);
    expect(new Set(dirs.map((d) => path.basename(path.dirname(d)))).size).toBeGreaterThanOrEqual(6);
  });

  it.each(dirs.map((d) => [path.relative(VALID_ROOT, d), d]))('%s is valid', async (_rel, dir) => {
    const strict = await validateSkillDir(dir, { strict: true });
    expect(strict.errors).toEqual([]);
    expect(strict.valid).toBe(true);
    expect(strict.skill?.name).toBe(path.basename(dir));

    const lenient = await validateSkillDir(dir);
    expect(lenient.errors).toEqual([]);
    expect(lenient.warnings).toEqual([]);
    expect(
      computeQualityScore(fs.readFileSync(path.join(dir, 'SKILL.md'), 'utf8')).score,
    ).toBeGreaterThan(0.5);
  });

  it('renders the fixtures as <available_skills>', async () => {
    const xml = renderAvailableSkillsXml(await collectSkillsForXml(VALID_ROOT));
    expect(xml.match(/<skill>/g)).toHaveLength(dirs.length);
    expect(xml).toContain(
      `<location>${path.join(VALID_ROOT, 'documents', 'pdf-processing', 'SKILL.md')}</location>`,
    );
  });
});

describe('invalid skill fixtures (test/fixtures/skills-invalid)', () => {
  const expected: Record<string, { strict: string[]; lenient: string[] }> = {
    Bad_Name: {
      strict: ['NAME_NOT_LOWERCASE', 'NAME_INVALID_CHARS'],
      lenient: ['NAME_NOT_LOWERCASE', 'NAME_INVALID_CHARS'],
    },
    'name-mismatch': { strict: ['NAME_DIR_MISMATCH'], lenient: ['NAME_DIR_MISMATCH'] },
    'missing-description': { strict: ['DESCRIPTION_MISSING'], lenient: ['DESCRIPTION_MISSING'] },
    'extra-fields': { strict: ['UNEXPECTED_FIELD', 'UNEXPECTED_FIELD'], lenient: [] },
  };

  it('covers every folder', () => {
    expect(fs.readdirSync(INVALID_ROOT).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s', async (name, codes) => {
    const dir = path.join(INVALID_ROOT, name);
    const strict = await validateSkillDir(dir, { strict: true });
    expect(strict.valid).toBe(false);
    expect(strict.errors.map((e) => e.code)).toEqual(codes.strict);
    const lenient = await validateSkillDir(dir);
    expect(lenient.errors.map((e) => e.code)).toEqual(codes.lenient);
  });
});
