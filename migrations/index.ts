import { CreateTokens1795000000000 } from './1795000000000-CreateTokens';
import { CreateSkills1795100000000 } from './1795100000000-CreateSkills';
import { CreateJobs1795200000000 } from './1795200000000-CreateJobs';
import { CreateHitlPrompts1795300000000 } from './1795300000000-CreateHitlPrompts';
import { AddSkillDependencies1795400000000 } from './1795400000000-AddSkillDependencies';
import { CreateDeploymentSettings1795500000000 } from './1795500000000-CreateDeploymentSettings';
import { CreateSkillLibrary1795600000000 } from './1795600000000-CreateSkillLibrary';
import { AddJobRewind1795740000000 } from './1795740000000-AddJobRewind';

/** Every migration, oldest first. A new migration file is added here by hand after review. */
export const MIGRATIONS = [
  CreateTokens1795000000000,
  CreateSkills1795100000000,
  CreateJobs1795200000000,
  CreateHitlPrompts1795300000000,
  AddSkillDependencies1795400000000,
  CreateDeploymentSettings1795500000000,
  CreateSkillLibrary1795600000000,
  AddJobRewind1795740000000,
];
