import { Injectable, OnModuleInit } from '@nestjs/common';
import { PurgeHooks } from '../jobs/cancel-hooks';
import { SkillsService } from './skills.service';

/** Drafts go with their jobs: after `jobs.purge`, the purged jobs' draft folders and rows are removed. */
@Injectable()
export class DraftsPurgeHook implements OnModuleInit {
  constructor(
    private readonly purgeHooks: PurgeHooks,
    private readonly skills: SkillsService,
  ) {}

  onModuleInit(): void {
    this.purgeHooks.add((jobIds) => this.skills.removeDrafts(jobIds));
  }
}
