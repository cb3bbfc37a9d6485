import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Job, Skill } from '#src/client/protocol';
import { AppError } from '#src/common/errors/app-error';
import type { SkillChangeNotice, SkillFleetBackend, SkillListPage } from './skill-fleet-backend';
import {
  createSkillFleetMcpServer,
  MAX_SUBSCRIPTIONS,
  RESOURCE_PAGE_SIZE,
} from './skill-fleet-mcp-server';
import { skillCreateInput } from './skill-fleet-backend';

const skill = (id: string, status: Skill['status'] = 'active'): Skill => ({
  id,
  name: id.split('/').pop()!,
  description: `about ${id}`,
  category: id.split('/')[0],
  path: `/skills/${id}`,
  status,
  version: 1,
  declaredVersion: '1.0.0',
  ownerId: null,
  tags: [],
  updatedAt: '2026-12-01T00:00:00.000Z',
  validation: { valid: true, errors: [], warnings: [] },
});

/** skills.list by id over a fixed list: the cursor is the last id sent, in base64url. */
function pageOfSkills(skills: Skill[], filter: SkillListPage) {
  const after = filter.cursor ? Buffer.from(filter.cursor, 'base64url').toString() : '';
  if (filter.cursor && Buffer.from(after).toString('base64url') !== filter.cursor) {
    throw AppError.validation([
      { field: 'payload.cursor', message: 'is not a cursor this server issued' },
    ]);
  }
  const sorted = [...skills].sort((a, b) => (a.id < b.id ? -1 : 1)).filter((s) => s.id > after);
  const page = sorted.slice(0, filter.limit ?? 100);
  const more = sorted.length > page.length;
  return {
    skills: page,
    nextCursor: more ? Buffer.from(page[page.length - 1].id).toString('base64url') : null,
  };
}

/** A backend over a fixed list of skills; calls are recorded. */
function fakeBackend(skills: Skill[], canWrite = true) {
  const listeners = new Set<(change: SkillChangeNotice) => void>();
  const calls: string[] = [];
  const backend: SkillFleetBackend = {
    canWrite,
    listSkills: (filter) => Promise.resolve(pageOfSkills(skills, filter)),
    getSkill: (id) => {
      const found = skills.find((s) => s.id === id);
      return found
        ? Promise.resolve({ skill: found, content: `---\nname: ${found.name}\n---\nbody` })
        : Promise.reject(AppError.notFound('Skill', id));
    },
    listFiles: () => Promise.resolve({ files: [{ path: 'SKILL.md', size: 30 }], truncated: false }),
    readFile: () => Promise.reject(AppError.validation([{ field: 'path', message: 'is bad' }])),
    availableSkillsXml: () => Promise.resolve('<available_skills>\n</available_skills>'),
    createSkill: (input) => {
      calls.push(`create ${JSON.stringify(skillCreateInput(input))}`);
      return Promise.resolve({ id: 'job-1', status: 'queued' } as Job);
    },
    getJob: () => Promise.reject(new Error('select * from jobs failed')),
    openPrompt: () => Promise.resolve(null),
    answerPrompt: () => Promise.reject(new Error('not used')),
    watchSkills: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const change = (notice: SkillChangeNotice) => listeners.forEach((l) => l(notice));
  return { backend, calls, change, listeners };
}

async function connected(backend: SkillFleetBackend) {
  const mcp = createSkillFleetMcpServer(backend, '0.0.0-test');
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.server.connect(serverSide);
  const client = new Client({ name: 'spec', version: '1' });
  await client.connect(clientSide);
  return { client, mcp };
}

const textOf = (result: unknown): string =>
  ((result as CallToolResult).content[0] as { text: string }).text;

describe('Skill Fleet MCP server', () => {
  const many = Array.from({ length: RESOURCE_PAGE_SIZE + 30 }, (_, i) =>
    skill(`cat/skill-${String(i).padStart(3, '0')}`),
  );

  it('pages resources/list by cursor, leaving drafts out, until nextCursor is gone', async () => {
    const { backend } = fakeBackend([...many, skill('_drafts/job-9/draft-one', 'draft')]);
    const { client, mcp } = await connected(backend);
    const first = await client.listResources();
    expect(first.resources[0].uri).toBe('skills://available');
    // The draft sorts first: the page holds the rest of the backend's page of RESOURCE_PAGE_SIZE.
    expect(first.resources).toHaveLength(RESOURCE_PAGE_SIZE);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.listResources({ cursor: first.nextCursor! });
    expect(second.resources).toHaveLength(many.length + 1 - RESOURCE_PAGE_SIZE);
    expect(second.nextCursor).toBeUndefined();
    const uris = [...first.resources, ...second.resources].map((r) => r.uri);
    expect(uris).toHaveLength(many.length + 1);
    expect(new Set(uris).size).toBe(uris.length);
    expect(uris.some((u) => u.includes('_drafts'))).toBe(false);
    await expect(client.listResources({ cursor: 'not-ours!' })).rejects.toThrow(/cursor/);
    await mcp.close();
  });

  it('offers the write tools only when the backend can write', async () => {
    const reader = await connected(fakeBackend([], false).backend);
    expect((await reader.client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'get_skill',
      'job_status',
      'read_skill_file',
      'search_skills',
    ]);
    await reader.mcp.close();
  });

  it('create_skill hands the task, prompt switches and sources on as the job input', async () => {
    const { backend, calls } = fakeBackend([]);
    const { client, mcp } = await connected(backend);
    const started = await client.callTool({
      name: 'create_skill',
      arguments: {
        task: 'Ledger runbooks',
        prompts: { preview: true },
        sources: [{ name: ' runbook.md ', content: '# Close the books' }],
      },
    });
    expect(started.isError).toBeFalsy();
    expect(calls).toEqual([
      'create ' +
        JSON.stringify({
          task: 'Ledger runbooks',
          options: { prompts: { preview: true } },
          sources: [{ name: 'runbook.md', content: '# Close the books' }],
        }),
    ]);
    const unnamed = await client.callTool({
      name: 'create_skill',
      arguments: { task: 'x', sources: [{ name: '', content: 'text' }] },
    });
    expect(unnamed.isError).toBe(true);
    expect(textOf(unnamed)).toMatch(/sources/);
    await mcp.close();
  });

  it('refuses input over its limits before calling the backend', async () => {
    const { backend, calls } = fakeBackend([]);
    const { client, mcp } = await connected(backend);
    const tooLong = await client.callTool({
      name: 'create_skill',
      arguments: { task: 'x'.repeat(10_001) },
    });
    expect(tooLong.isError).toBe(true);
    expect(textOf(tooLong)).toMatch(/task/);
    const unknownSwitch = await client.callTool({
      name: 'create_skill',
      arguments: { task: 'ok', prompts: { everything: true } },
    });
    expect(unknownSwitch.isError).toBe(true);
    const badLimit = await client.callTool({
      name: 'search_skills',
      arguments: { query: 'x', limit: 1000 },
    });
    expect(badLimit.isError).toBe(true);
    expect(calls).toEqual([]);
    await mcp.close();
  });

  it('reports refusals as CODE: message and hides the text of unexpected errors', async () => {
    const { client, mcp } = await connected(fakeBackend([]).backend);
    const refused = await client.callTool({
      name: 'read_skill_file',
      arguments: { id: 'a/b', path: 'x' },
    });
    expect(refused).toMatchObject({ isError: true });
    expect(textOf(refused)).toBe('VALIDATION_FAILED: path: is bad');
    const failed = await client.callTool({ name: 'job_status', arguments: { jobId: 'j' } });
    expect(textOf(failed)).toBe('INTERNAL: the tool failed');
    expect(textOf(failed)).not.toMatch(/select/);
    await mcp.close();
  });

  it('notifies subscribers of published skills only, and stops listening on close', async () => {
    const { backend, change, listeners } = fakeBackend([skill('cat/one')]);
    const { client, mcp } = await connected(backend);
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    await client.subscribeResource({ uri: 'skill://cat/one' });
    await expect(client.subscribeResource({ uri: 'file:///etc/passwd' })).rejects.toThrow(
      /can be subscribed/,
    );
    change({ skill: skill('_drafts/job-1/one', 'draft'), removed: false });
    change({ skill: skill('cat/two'), removed: false });
    change({ skill: skill('cat/one'), removed: false });
    await client.ping(); // the notification was sent before the ping's reply
    expect(updated).toEqual(['skill://cat/one']);
    await mcp.close();
    expect(listeners.size).toBe(0);
  });

  it('caps the subscriptions of one client', async () => {
    const { client, mcp } = await connected(fakeBackend([]).backend);
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++) {
      await client.subscribeResource({ uri: `skill://cat/s-${i}` });
    }
    await expect(client.subscribeResource({ uri: 'skill://cat/one-more' })).rejects.toThrow(
      new RegExp(`At most ${MAX_SUBSCRIPTIONS}`),
    );
    await mcp.close();
  });
});
