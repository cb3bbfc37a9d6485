import type { SkillFleetClient } from '../src/client';
import { MAX_SCANNED, resolveId } from './id-prefix';

const A = '3f2a9c10-0000-4000-8000-000000000001';
const B = '3f2a9c11-0000-4000-8000-000000000002';
const C = '77aa0000-0000-4000-8000-000000000003';

/** A client whose jobs.list pages `ids`, `per` at a time, and counts its calls. */
function clientWith(ids: string[], per = 200) {
  const calls: unknown[] = [];
  const client = {
    call: async (method: string, payload: { cursor?: string }) => {
      calls.push({ method, payload });
      const from = Number(payload.cursor ?? 0);
      const page = ids.slice(from, from + per);
      const next = from + per < ids.length ? String(from + per) : null;
      return { jobs: page.map((id) => ({ id })), nextCursor: next };
    },
  } as unknown as SkillFleetClient;
  return { client, calls };
}

describe('resolveId', () => {
  it('takes a whole id as it is, without a call', async () => {
    const { client, calls } = clientWith([A]);
    await expect(resolveId(client, 'job', A.toUpperCase())).resolves.toBe(A);
    expect(calls).toEqual([]);
  });

  it('takes a unique prefix of 6 or more characters', async () => {
    const { client } = clientWith([A, B, C]);
    await expect(resolveId(client, 'job', '3f2a9c10')).resolves.toBe(A);
    await expect(resolveId(client, 'job', '77aa00')).resolves.toBe(C);
  });

  it('lists the matches of an ambiguous prefix (exit 2)', async () => {
    const { client } = clientWith([A, B, C]);
    await expect(resolveId(client, 'job', '3f2a9c')).rejects.toMatchObject({
      code: 'AMBIGUOUS_ID',
      exitCode: 2,
      message: expect.stringContaining(`matches 2 jobs:\n  ${A}\n  ${B}`),
    });
  });

  it('refuses fewer than 6 characters, and says NOT_FOUND for no match', async () => {
    const { client } = clientWith([A]);
    await expect(resolveId(client, 'job', '3f2a9')).rejects.toMatchObject({ exitCode: 2 });
    await expect(resolveId(client, 'job', 'ffffff')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      exitCode: 1,
    });
  });

  it('reads at most MAX_SCANNED ids', async () => {
    const many = Array.from(
      { length: MAX_SCANNED + 500 },
      (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    );
    const { client, calls } = clientWith(many);
    await expect(resolveId(client, 'job', 'ffffffff')).rejects.toMatchObject({
      message: expect.stringContaining(`among the newest ${MAX_SCANNED}`),
    });
    expect(calls).toHaveLength(MAX_SCANNED / 200);
  });
});
