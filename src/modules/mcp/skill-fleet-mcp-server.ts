/**
 * The Skill Fleet MCP server: tools, resources and the `use_skill` prompt over a SkillFleetBackend.
 * The same definitions serve stdio (`skill-fleet mcp`) and Streamable HTTP (`/mcp`).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Skill } from '#src/client/protocol';
import { MAX_PAGE_LIMIT } from '#src/common/page-query.dto';
import { isBackendError, SkillFleetBackend, SkillChangeNotice } from './skill-fleet-backend';

export const SERVER_NAME = 'skill-fleet';
export const READ_TOOLS = ['search_skills', 'get_skill', 'read_skill_file', 'job_status'] as const;
export const WRITE_TOOLS = ['create_skill', 'answer_prompt'] as const;

export const AVAILABLE_SKILLS_URI = 'skills://available';
const SKILL_URI_PREFIX = 'skill://';
/** `skill://<category>/<name>`: the two segments of a published skill's id. */
const SKILL_URI = /^skill:\/\/([a-z0-9][a-z0-9-]{0,63})\/([a-z0-9][a-z0-9-]{0,63})$/;
/** Skills per `resources/list` page, before the drafts among them are left out. */
export const RESOURCE_PAGE_SIZE = 100;
/** Subscriptions one client may hold. */
export const MAX_SUBSCRIPTIONS = 1000;
const MAX_SEARCH_RESULTS = 100;

const skillId = z.string().min(1).max(300).describe('a skill id: <category>/<name>');
const jobId = z.string().min(1).max(128);

export interface SkillFleetMcpServer {
  server: McpServer;
  /** Stops the skills feed listener and closes the transport. */
  close(): Promise<void>;
}

export function createSkillFleetMcpServer(
  backend: SkillFleetBackend,
  version: string,
): SkillFleetMcpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version },
    {
      capabilities: { resources: { subscribe: true, listChanged: false } },
      instructions:
        'Skill Fleet holds a library of Agent Skills (folders with SKILL.md). Search it with ' +
        'search_skills, read a skill with get_skill and its other files with read_skill_file. ' +
        'create_skill starts a job that people may need to answer in the Skill Fleet dashboard ' +
        'or CLI; follow it with job_status.',
    },
  );
  registerTools(server, backend);
  registerPrompt(server, backend);
  const subscriptions = registerResources(server, backend);
  const stopWatching = backend.watchSkills((change) => {
    for (const uri of urisToNotify(change, subscriptions)) {
      server.server.sendResourceUpdated({ uri }).catch(() => undefined);
    }
  });
  return {
    server,
    close: async () => {
      stopWatching();
      await server.close();
    },
  };
}

const published = (skill: Skill): boolean => skill.status !== 'draft' && !skill.id.startsWith('_');
const uriOf = (skill: Skill): string => `${SKILL_URI_PREFIX}${skill.id}`;

function urisToNotify(change: SkillChangeNotice, subscriptions: Set<string>): string[] {
  if (!published(change.skill)) return [];
  return [uriOf(change.skill), AVAILABLE_SKILLS_URI].filter((uri) => subscriptions.has(uri));
}

const json = (value: unknown): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
});

/** Runs a tool; a backend refusal becomes a tool error the model can read (`CODE: message`). */
async function run(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    return {
      isError: true,
      content: [{ type: 'text', text: describeError(error) }],
    };
  }
}

export function describeError(error: unknown): string {
  if (!isBackendError(error)) return 'INTERNAL: the tool failed';
  const fields = Array.isArray(error.details)
    ? (error.details as unknown[])
        .map((d) => {
          const { field, message } = (d ?? {}) as { field?: unknown; message?: unknown };
          return typeof field === 'string' && typeof message === 'string'
            ? `${field} ${message}`
            : '';
        })
        .filter(Boolean)
    : [];
  const message = fields.length > 1 ? `${error.message} (${fields.join('; ')})` : error.message;
  return `${error.code}: ${message}`;
}

function registerTools(server: McpServer, backend: SkillFleetBackend): void {
  server.registerTool(
    'search_skills',
    {
      title: 'Search skills',
      description:
        'Full-text search over the skill library. Returns ids, names and descriptions, best first.',
      inputSchema: {
        query: z.string().max(1000).describe('words to look for; empty lists every skill'),
        category: z.string().min(1).max(64).optional().describe('only this top-level category'),
        limit: z.number().int().min(1).max(MAX_SEARCH_RESULTS).optional().describe('default 20'),
      },
      annotations: { readOnlyHint: true },
    },
    ({ query, category, limit }) =>
      run(async () => {
        // One page of the largest size: drafts the caller may see are in it, and left out here.
        const { skills } = await backend.listSkills({ query, category, limit: MAX_PAGE_LIMIT });
        const found = skills.filter(published).slice(0, limit ?? 20);
        return json({
          skills: found.map((s) => ({ id: s.id, name: s.name, description: s.description })),
        });
      }),
  );

  server.registerTool(
    'get_skill',
    {
      title: 'Get a skill',
      description: "A skill's SKILL.md, and the list of the other files in its folder.",
      inputSchema: { id: skillId },
      annotations: { readOnlyHint: true },
    },
    ({ id }) =>
      run(async () => {
        const [{ skill, content }, { files, truncated }] = await Promise.all([
          backend.getSkill(id),
          backend.listFiles(id),
        ]);
        const listing = files.map((f) => `- ${f.path} (${f.size} bytes)`);
        if (truncated) listing.push('- … (more files not listed)');
        return {
          content: [
            { type: 'text', text: content },
            {
              type: 'text',
              text: `Files of ${skill.id} (read one with read_skill_file):\n${listing.join('\n')}`,
            },
          ],
        };
      }),
  );

  server.registerTool(
    'read_skill_file',
    {
      title: 'Read a file of a skill',
      description: 'One text file of a skill folder, by its path relative to the folder.',
      inputSchema: {
        id: skillId,
        path: z.string().min(1).max(1024).describe('e.g. references/api.md'),
      },
      annotations: { readOnlyHint: true },
    },
    ({ id, path }) =>
      run(async () => {
        const file = await backend.readFile(id, path);
        return { content: [{ type: 'text', text: file.content }] };
      }),
  );

  server.registerTool(
    'job_status',
    {
      title: 'Job status',
      description: 'Status, open prompt (a question waiting for a person) and result of a job.',
      inputSchema: { jobId },
      annotations: { readOnlyHint: true },
    },
    ({ jobId: id }) =>
      run(async () => {
        const job = await backend.getJob(id);
        const prompt = job.openPromptId ? await backend.openPrompt(id) : null;
        return json({
          jobId: job.id,
          status: job.status,
          currentStep: job.currentStep,
          progress: job.progress,
          openPrompt: prompt && {
            id: prompt.id,
            kind: prompt.kind,
            title: prompt.title,
            body: prompt.body,
            actions: prompt.actions,
            payload: prompt.payload,
          },
          result: job.result,
          error: job.error,
        });
      }),
  );

  if (!backend.canWrite) return;

  server.registerTool(
    'create_skill',
    {
      title: 'Create a skill',
      description:
        'Starts a skill.create job and returns its id at once. People answer its prompts in the ' +
        'Skill Fleet dashboard or CLI; follow the job with job_status.',
      inputSchema: {
        task: z.string().trim().min(1).max(10_000).describe('what the skill should teach'),
        prompts: z
          .strictObject({
            clarify: z.boolean().optional(),
            structure_fix: z.boolean().optional(),
            confirm: z.boolean().optional(),
            preview: z.boolean().optional(),
            validate: z.boolean().optional(),
          })
          .optional()
          .describe('which human-in-the-loop prompts to ask (default: clarify and structure_fix)'),
        sources: z
          .array(
            z.strictObject({
              name: z.string().trim().min(1).max(200).describe('a label, e.g. the file name'),
              content: z.string().describe('the text itself (UTF-8)'),
            }),
          )
          .optional()
          .describe(
            "the person's own material (docs, runbooks, code) to ground the skill in; the " +
              "server's limits on count and bytes apply",
          ),
      },
    },
    ({ task, prompts, sources }) =>
      run(async () => {
        const job = await backend.createSkill({ task, prompts, sources });
        return json({ jobId: job.id, status: job.status });
      }),
  );

  server.registerTool(
    'answer_prompt',
    {
      title: 'Answer a prompt',
      description:
        "Answers a job's open prompt (see job_status) for agents trusted to answer. The answer " +
        'has the shape the prompt kind asks for, e.g. {"action": "proceed"}.',
      inputSchema: {
        promptId: z.string().min(1).max(128),
        answer: z.record(z.string(), z.unknown()),
      },
    },
    ({ promptId, answer }) =>
      run(async () => {
        const prompt = await backend.answerPrompt(promptId, answer);
        return json({ promptId: prompt.id, status: prompt.status, jobId: prompt.jobId });
      }),
  );
}

function registerPrompt(server: McpServer, backend: SkillFleetBackend): void {
  server.registerPrompt(
    'use_skill',
    {
      title: 'Use a skill',
      description: "Puts a skill's SKILL.md into the conversation, to follow it for a task.",
      argsSchema: {
        skill: z.string().min(1).max(300).describe('skill id: <category>/<name>'),
        task: z.string().max(10_000).optional().describe('what to do with it'),
      },
    },
    async ({ skill, task }) => {
      const { skill: found, content } = await backend.getSkill(skill).catch((error: unknown) => {
        throw new McpError(ErrorCode.InvalidParams, describeError(error));
      });
      const ask = task ? `\n\nThe task: ${task}` : '';
      return {
        description: `${found.name}: ${found.description}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `Follow the Agent Skill "${found.name}" (${found.id}) below. Its other files can ` +
                `be read with the read_skill_file tool.${ask}\n\n${content}`,
            },
          },
        ],
      };
    },
  );
}

/** The resource handlers, set directly for paging; returns the client's subscriptions. */
function registerResources(server: McpServer, backend: SkillFleetBackend): Set<string> {
  const low = server.server;
  const subscriptions = new Set<string>();
  const invalid = (message: string) => new McpError(ErrorCode.InvalidParams, message);
  const fromBackend = (error: unknown) => invalid(describeError(error));

  low.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    // One page of skills.list by id, its cursor passed on as ours; drafts in it are left out.
    const cursor = request.params?.cursor;
    const { skills, nextCursor } = await backend
      .listSkills({ limit: RESOURCE_PAGE_SIZE, ...(cursor && { cursor }) })
      .catch((e: unknown) => {
        throw fromBackend(e);
      });
    const resources = skills.filter(published).map((s) => ({
      uri: uriOf(s),
      name: s.id,
      title: s.name,
      description: s.description,
      mimeType: 'text/markdown',
    }));
    if (!cursor) {
      resources.unshift({
        uri: AVAILABLE_SKILLS_URI,
        name: 'available_skills',
        title: 'Available skills',
        description: 'The <available_skills> XML of the whole library, for a system prompt.',
        mimeType: 'application/xml',
      });
    }
    return nextCursor ? { resources, nextCursor } : { resources };
  });

  low.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      {
        uriTemplate: `${SKILL_URI_PREFIX}{category}/{name}`,
        name: 'skill',
        title: 'A skill',
        description: 'The SKILL.md of the skill <category>/<name>.',
        mimeType: 'text/markdown',
      },
    ],
  }));

  low.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    if (uri === AVAILABLE_SKILLS_URI) {
      const xml = await backend.availableSkillsXml().catch((e: unknown) => {
        throw fromBackend(e);
      });
      return { contents: [{ uri, mimeType: 'application/xml', text: xml }] };
    }
    const id = skillIdOfUri(uri);
    if (!id) throw invalid(`Unknown resource ${uri.slice(0, 200)}`);
    const { content } = await backend.getSkill(id).catch((e: unknown) => {
      throw fromBackend(e);
    });
    return { contents: [{ uri, mimeType: 'text/markdown', text: content }] };
  });

  low.setRequestHandler(SubscribeRequestSchema, (request) => {
    const uri = request.params.uri;
    if (uri !== AVAILABLE_SKILLS_URI && !skillIdOfUri(uri)) {
      throw invalid(`Only ${AVAILABLE_SKILLS_URI} and skill://<category>/<name> can be subscribed`);
    }
    if (!subscriptions.has(uri) && subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw invalid(`At most ${MAX_SUBSCRIPTIONS} subscriptions`);
    }
    subscriptions.add(uri);
    return {};
  });

  low.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });
  return subscriptions;
}

function skillIdOfUri(uri: string): string | null {
  const match = SKILL_URI.exec(uri);
  return match ? `${match[1]}/${match[2]}` : null;
}
