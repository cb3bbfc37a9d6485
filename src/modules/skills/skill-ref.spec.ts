import { AppError } from '#src/common/errors/app-error';
import { thrown } from '#test/support/refusal';
import { ErrorCode } from '#src/client/protocol';
import { parseSkillId, skillIdOf } from './skill-ref';

const refusal = (id: string): AppError => thrown(() => parseSkillId(id), AppError);

describe('parseSkillId', () => {
  it.each([
    ['python/async-await', { kind: 'skill', category: 'python', name: 'async-await' }],
    ['_drafts/job-1/async-await', { kind: 'draft', jobId: 'job-1', name: 'async-await' }],
    ['навыки/мой-навык', { kind: 'skill', category: 'навыки', name: 'мой-навык' }],
    ['tools/技能', { kind: 'skill', category: 'tools', name: '技能' }],
  ])('accepts %s', (id, ref) => {
    expect(parseSkillId(id)).toEqual(ref);
    expect(skillIdOf(parseSkillId(id))).toBe(id);
  });

  it.each([
    ['../x', "'..'"],
    ['a/../../b', "'..'"],
    ['python/..', "'..'"],
    ['/etc', 'absolute'],
    ['/etc/passwd', 'absolute'],
    ['python/a\0b', 'NUL'],
    ['python\\async-await', 'backslash'],
    ['python//async-await', 'empty'],
    ['./python/async-await', "'.'"],
    ['', 'empty'],
    ['python', '<category>/<name>'],
    ['a/b/c', '<category>/<name>'],
    ['_drafts/job/x/y', '<category>/<name>'],
    ['_templates/x', 'lower case'],
    ['.git/config', 'lower case'],
    ['Python/async-await', 'lower case'],
    ['python/Async', 'valid skill name'],
    ['python/a--b', 'valid skill name'],
    ['python/cafe\u0301', 'NFKC'],
    ['_drafts/-job/x', 'letters, digits'],
    ['_drafts/job.1/x', 'letters, digits'],
  ])('refuses %j with VALIDATION_FAILED naming the problem', (id, words) => {
    const error = refusal(id);
    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error.details).toEqual([{ field: 'skillId', message: expect.stringContaining(words) }]);
  });
});
