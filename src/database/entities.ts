import { Token } from '../modules/auth/token.entity';
import { Prompt } from '../modules/hitl/prompt.entity';
import { JobEvent } from '../modules/jobs/job-event.entity';
import { JobStep } from '../modules/jobs/job-step.entity';
import { Job } from '../modules/jobs/job.entity';
import { Skill } from '../modules/skills/skill.entity';

/** Every entity, registered once on the shared DataSource. */
export const ENTITIES = [Token, Prompt, Job, JobEvent, JobStep, Skill];
