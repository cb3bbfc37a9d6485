import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ResourceUpdatedNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { cliEnv, cliMain, cliWorkDir, removeCliWorkDirs } from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { createToken } from '../support/gateway';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

const FIXTURES = path.resolve(__dirname, '../fixtures/skills');
const READ_TOOLS = ['get_skill', 'job_status', 'read_skill_file', 'search_skills'];
const ALL_TOOLS = [...READ_TOOLS, 'answer_prompt', 'create_skill'].sort();

type Transport = 'stdio' | 'http';

const RUNBOOK = '# Team notes\n\n## Check\n\n```bash\nmcp-source-marker --check\n```\n';

/** The first text block of a tool result. */
const textOf = (result: unknown): string => {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (first?.type !== 'text') throw new Error(`no text in ${JSON.stringify(result)}`);
  return first.text;
};
const jsonOf = <T>(result: unknown): T => JSON.parse(textOf(result)) as T;

describe(`MCP server (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let admin: WsTestClient;
  let writer: string;
  let readOnly: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline' } });
    admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const imported = await admin.request('skills.import', { path: FIXTURES });
    expect(imported.ok).toBe(true);
    writer = (await createToken(admin, 'agent-user')).token;
    readOnly = (await createToken(admin, 'agent-reader', 'user', true)).token;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    admin?.close();
    await server?.stop();
    removeCliWorkDirs();
  });

  function transportFor(kind: Transport, token: string) {
    if (kind === 'stdio') {
      const dataDir = path.join(cliWorkDir(), 'data');
      return new StdioClientTransport({
        command: process.execPath,
        args: [cliMain, 'mcp', '--url', server.wsUrl, '--token', token],
        env: cliEnv(dataDir) as Record<string, string>,
        cwd: path.dirname(dataDir),
        stderr: 'pipe',
      });
    }
    return new StreamableHTTPClientTransport(new URL(`${server.httpUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
  }

  async function connect(kind: Transport, token: string): Promise<Client> {
    const client = new Client({ name: 'skill-fleet-e2e', version: '1.0.0' });
    clients.push(client);
    await client.connect(transportFor(kind, token));
    return client;
  }

  describe.each<Transport>(['stdio', 'http'])('over %s', (kind) => {
    let agent: Client;

    beforeAll(async () => {
      agent = await connect(kind, writer);
    });

    it('lists the tools, the resources and the use_skill prompt', async () => {
      const { tools } = await agent.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);

      // one page: the paging itself is covered by skill-fleet-mcp-server.spec.ts
      const listed = await agent.listResources();
      expect(listed.nextCursor).toBeUndefined();
      const uris = listed.resources.map((r) => r.uri);
      expect(uris[0]).toBe('skills://available');
      expect(uris).toContain('skill://python/async-await');
      expect(uris).not.toContainEqual(expect.stringMatching(/_drafts/));
      // the 21 fixtures, and the skill the stdio run promoted before the http run
      expect(uris.filter((u) => u.startsWith('skill://')).length).toBeGreaterThanOrEqual(21);

      const { prompts } = await agent.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['use_skill']);
    });

    it('searches, then reads a skill, one of its files, and the skill as a resource', async () => {
      const found = jsonOf<{ skills: { id: string; name: string; description: string }[] }>(
        await agent.callTool({ name: 'search_skills', arguments: { query: 'asyncio', limit: 5 } }),
      );
      expect(found.skills).toContainEqual({
        id: 'python/async-await',
        name: 'async-await',
        description: expect.any(String),
      });
      expect(found.skills.length).toBeLessThanOrEqual(5);

      const skill = await agent.callTool({
        name: 'get_skill',
        arguments: { id: 'python/async-await' },
      });
      const content = (skill as CallToolResult).content;
      expect(textOf(skill)).toMatch(/^---\nname: async-await\n/);
      expect(content[1]).toMatchObject({
        type: 'text',
        text: expect.stringContaining('- references/patterns.md'),
      });

      const file = await agent.callTool({
        name: 'read_skill_file',
        arguments: { id: 'python/async-await', path: 'references/patterns.md' },
      });
      expect(file.isError).toBeFalsy();
      expect(textOf(file).length).toBeGreaterThan(0);

      const escape = await agent.callTool({
        name: 'read_skill_file',
        arguments: { id: 'python/async-await', path: '../type-hints/SKILL.md' },
      });
      expect(escape.isError).toBe(true);
      expect(textOf(escape)).toMatch(/^VALIDATION_FAILED: .*'\.\.'/);

      const resource = await agent.readResource({ uri: 'skill://python/async-await' });
      expect(resource.contents[0]).toMatchObject({ mimeType: 'text/markdown' });
      const xml = await agent.readResource({ uri: 'skills://available' });
      expect(xml.contents[0]).toMatchObject({
        text: expect.stringContaining('<name>async-await</name>'),
      });

      const prompt = await agent.getPrompt({
        name: 'use_skill',
        arguments: { skill: 'python/async-await' },
      });
      expect(prompt.messages[0].content).toMatchObject({
        type: 'text',
        text: expect.stringContaining('name: async-await'),
      });
    });

    it('create_skill starts a job; a person answers over the WebSocket; job_status shows it completed; a promotion notifies subscribers', async () => {
      const task =
        kind === 'stdio' ? 'Writing Go HTTP middleware' : 'Writing Rust command line tools';
      const started = jsonOf<{ jobId: string; status: string }>(
        await agent.callTool({
          name: 'create_skill',
          arguments: {
            task,
            prompts: { clarify: false, structure_fix: false, confirm: true },
            sources: [{ name: 'team-notes.md', content: RUNBOOK }],
          },
        }),
      );
      expect(started.status).toBe('queued');

      const status = (): Promise<{
        status: string;
        openPrompt: {
          id: string;
          kind: string;
          actions: string[];
          payload: { path: string };
        } | null;
        result: { skillId: string } | null;
      }> =>
        agent
          .callTool({ name: 'job_status', arguments: { jobId: started.jobId } })
          .then((r) => jsonOf(r));

      const waiting = await waitFor(
        async () => {
          const s = await status();
          if (['completed', 'failed', 'cancelled'].includes(s.status)) {
            throw new Error(`the job ended without asking: ${JSON.stringify(s)}`);
          }
          return s.status === 'waiting' && s.openPrompt ? s : false;
        },
        { timeoutMs: 30_000 },
      );
      expect(waiting.openPrompt).toMatchObject({ kind: 'confirm', actions: expect.any(Array) });

      const person = await WsTestClient.connect(server.wsUrl, writer);
      try {
        const answered = await person.request('prompts.answer', {
          promptId: waiting.openPrompt!.id,
          answer: { action: 'proceed' },
        });
        expect(answered.ok).toBe(true);

        // With no model, preview is on by default (issue 17): the person proceeds there too.
        const preview = await waitFor(
          async () => {
            const s = await status();
            return s.openPrompt?.kind === 'preview' ? s.openPrompt : false;
          },
          { timeoutMs: 30_000 },
        );
        expect(
          (
            await person.request('prompts.answer', {
              promptId: preview.id,
              answer: { action: 'proceed' },
            })
          ).ok,
        ).toBe(true);

        const done = await waitFor(
          async () => {
            const s = await status();
            return s.status === 'completed' ? s : false;
          },
          { timeoutMs: 30_000 },
        );
        expect(done.openPrompt).toBeNull();
        expect(done.result!.skillId).toMatch(/^_drafts\//);
        // the source grounds the draft: kept under references/ (issue 17)
        const reference = await agent.callTool({
          name: 'read_skill_file',
          arguments: { id: done.result!.skillId, path: 'references/team-notes.md' },
        });
        expect(reference.isError).toBeFalsy();
        expect(textOf(reference)).toContain('mcp-source-marker --check');

        // the taxonomy path the confirm prompt proposed: where the promotion puts the skill
        const target = waiting.openPrompt!.payload.path;
        const uri = `skill://${target}`;
        const updated: string[] = [];
        agent.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
          updated.push(notification.params.uri);
        });
        await agent.subscribeResource({ uri });
        await agent.subscribeResource({ uri: 'skills://available' });

        // an unedited offline scaffold: promoted as it is only with allowScaffold (issue 17)
        const promoted = await person.request('skills.promote', {
          jobId: started.jobId,
          overwrite: true,
          allowScaffold: true,
        });
        expect(promoted.ok).toBe(true);
        expect(promoted.payload).toMatchObject({ skill: { id: target } });
        await waitFor(() => updated.includes(uri) && updated.includes('skills://available'));
      } finally {
        person.close();
      }
    });

    it('gives a read-only token the read tools only', async () => {
      const reader = await connect(kind, readOnly);
      const { tools } = await reader.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
      const refused = await reader
        .callTool({ name: 'create_skill', arguments: { task: 'anything' } })
        .then(
          (result) => (result.isError ? textOf(result) : 'accepted'),
          (error: Error) => error.message,
        );
      expect(refused).toMatch(/create_skill not found/);
    });

    it('refuses a bad token', async () => {
      await expect(connect(kind, 'sf_not-a-token')).rejects.toThrow(
        kind === 'http' ? /401|UNAUTHORIZED|Unauthorized/ : /closed|Connection/i,
      );
    });
  });

  it('answers 401 to /mcp without a token or with a bad one', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    };
    for (const headers of [{}, { authorization: 'Bearer sf_wrong' }] as Record<string, string>[]) {
      const response = await fetch(`${server.httpUrl}/mcp`, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(initialize),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it("does not let one token use another token's session", async () => {
    const owner = new StreamableHTTPClientTransport(new URL(`${server.httpUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${writer}` } },
    });
    const client = new Client({ name: 'owner', version: '1' });
    clients.push(client);
    await client.connect(owner);
    const response = await fetch(`${server.httpUrl}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${readOnly}`,
        'mcp-session-id': owner.sessionId!,
        'mcp-protocol-version': '2025-06-18',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
  });
});
