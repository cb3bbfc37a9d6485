import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { collectSkillsForXml, renderAvailableSkillsXml } from '#src/modules/skills/validator/index';
import { CliOutput } from '../cli-output';
import { loadConfig } from '../load-config';
import { UsageError } from '../usage-error';

interface XmlOptions {
  root?: string;
}

@Command({
  name: 'xml',
  description: 'Print <available_skills> for the taxonomy, offline (default root: SKILLS_ROOT)',
})
export class XmlCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(_args: string[], options: XmlOptions): Promise<void> {
    if (options.root !== undefined) {
      const stat = await fs.stat(options.root).catch(() => null);
      if (!stat?.isDirectory()) throw new UsageError(`--root ${options.root} is not a folder`);
    }
    // a taxonomy that does not exist yet is empty, not an error
    const root = options.root ?? loadConfig().skillsRoot;
    this.out.line(renderAvailableSkillsXml(await collectSkillsForXml(root)));
  }

  @Option({ flags: '--root <dir>', description: 'Taxonomy root to read instead of SKILLS_ROOT' })
  parseRoot(value: string): string {
    return path.resolve(value);
  }
}
