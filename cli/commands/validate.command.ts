import { Command, CommandRunner, Option } from 'nest-commander';
import { validateSkillDir, ValidationReport } from '#src/modules/skills/validator/index';
import { CliOutput } from '../cli-output';
import { EXIT_OK, EXIT_REFUSED } from '../exit-codes';

interface ValidateOptions {
  json?: boolean;
  strict?: boolean;
}

@Command({
  name: 'validate',
  arguments: '<dir>',
  description: 'Validate one skill folder, offline (exit 0 valid, 1 not valid)',
})
export class ValidateCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run([dir]: string[], options: ValidateOptions): Promise<void> {
    const report = await validateSkillDir(dir, { strict: options.strict ?? false });
    if (options.json) this.out.json(report);
    else this.print(report);
    process.exitCode = report.valid ? EXIT_OK : EXIT_REFUSED;
  }

  private print(report: ValidationReport): void {
    const counts = `${plural(report.errors.length, 'error')}, ${plural(report.warnings.length, 'warning')}`;
    this.out.line(`${report.path}: ${report.valid ? 'valid' : 'NOT valid'} (${counts})`);
    if (report.skill) this.out.line(`  skill: ${report.skill.name}`);
    for (const [kind, issues] of [
      ['error', report.errors],
      ['warning', report.warnings],
    ] as const) {
      for (const issue of issues) {
        const field = issue.field ? ` [${issue.field}]` : '';
        this.out.line(`  ${kind.padEnd(7)} ${issue.code}${field}: ${issue.message}`);
      }
    }
  }

  @Option({ flags: '--json', description: 'Print the report as one JSON document' })
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '--strict',
    description:
      'The verdict of the reference validator skills-ref: the six fields of the specification, StrictYAML, no warnings',
  })
  parseStrict(): boolean {
    return true;
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
