import { redactUrlPasswords } from './redact-url';

describe('redactUrlPasswords', () => {
  it.each([
    ['postgres://fleet:s3cret@127.0.0.1:5432/db', 'postgres://fleet:***@127.0.0.1:5432/db'],
    ['postgres://u:p@s3cret@h/db', 'postgres://u:***@h/db'],
    ['redis://:s3cret@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['rediss://default:s3cret@cache:6380/0', 'rediss://default:***@cache:6380/0'],
    [
      'DATABASE_URL must be a URL (got "mysql://u:s3cret@h/db")',
      'DATABASE_URL must be a URL (got "mysql://u:***@h/db")',
    ],
    // Malformed: a slash or a missing `//` does not let the password through.
    ['postgres://u:pa/ss3cret@h/db', 'postgres://***@h/db'],
    ['postgres:/u:s3cret@h', 'postgres:***@h'],
    ['got "fleet:s3cret@127.0.0.1"', 'got "fleet:***@127.0.0.1"'],
    ['two: redis://a:x1@h and postgres://b:y2@k', 'two: redis://a:***@h and postgres://b:***@k'],
  ])('%s', (input, expected) => {
    const out = redactUrlPasswords(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(/s3cret|x1@|y2@/);
  });

  it('leaves text without credentials alone', () => {
    const text = 'Job 12:30 done; mail admin@example.com; http://127.0.0.1:3000/ws';
    expect(redactUrlPasswords(text)).toBe(text);
  });
});
