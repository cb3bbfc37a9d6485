import type { SkillFleetClient } from '#src/client/skill-fleet-client';
import type { Methods } from '#src/client/protocol';
import {
  skillCreateInput,
  type SkillChangeNotice,
  type SkillCreateRequest,
  type SkillFleetBackend,
  type SkillListPage,
} from './skill-fleet-backend';

/**
 * The backend of `skill-fleet mcp` (stdio): every operation is a protocol call over one WebSocket
 * connection, so the server applies the token's rights exactly as for any other client.
 */
export class ClientBackend implements SkillFleetBackend {
  constructor(
    private readonly client: SkillFleetClient,
    readonly canWrite: boolean,
  ) {}

  async listSkills(filter: SkillListPage) {
    const payload: Methods['skills.list']['payload'] = {};
    if (filter.query?.trim()) payload.query = filter.query;
    if (filter.category) payload.category = filter.category;
    if (filter.limit !== undefined) payload.limit = filter.limit;
    if (filter.cursor) payload.cursor = filter.cursor;
    const { skills, nextCursor } = await this.client.call('skills.list', payload);
    return { skills, nextCursor: nextCursor ?? null };
  }

  getSkill(skillId: string) {
    return this.client.call('skills.get', { skillId });
  }

  listFiles(skillId: string) {
    return this.client.call('skills.files', { skillId });
  }

  async readFile(skillId: string, path: string) {
    return (await this.client.call('skills.file', { skillId, path })).file;
  }

  async availableSkillsXml() {
    return (await this.client.call('skills.xml', {})).xml;
  }

  async createSkill(input: SkillCreateRequest) {
    const reply = await this.client.call('jobs.create', {
      workflow: 'skill.create',
      input: skillCreateInput(input),
    });
    return reply.job;
  }

  async getJob(jobId: string) {
    return (await this.client.call('jobs.get', { jobId })).job;
  }

  async openPrompt(jobId: string) {
    const { prompts } = await this.client.call('prompts.list', { jobId, status: 'open' });
    return prompts[0] ?? null;
  }

  async answerPrompt(promptId: string, answer: Record<string, unknown>) {
    return (await this.client.call('prompts.answer', { promptId, answer })).prompt;
  }

  watchSkills(listener: (change: SkillChangeNotice) => void): () => void {
    const subscription = this.client.subscribeFeed(['skills'], (event) => {
      if (event.event !== 'skill.changed') return;
      const { skill, removed } = event.payload;
      listener({ skill, removed: removed === true });
    });
    return () => subscription.unsubscribe();
  }
}
