import { Command, CommandRunner } from 'nest-commander';
import { bashScript, completionTree, zshScript } from '../completion';
import { Printer, usageFailure } from '../printer';

const SHELLS = { bash: bashScript, zsh: zshScript } as const;

/** `completion bash|zsh`: prints a completion script built from the command tree `--help` shows. */
@Command({
  name: 'completion',
  arguments: '<shell>',
  description:
    'Print a shell completion script: bash or zsh (e.g. source <(skill-fleet completion bash))',
})
export class CompletionCommand extends CommandRunner {
  constructor(private readonly printer: Printer) {
    super();
  }

  async run([shell]: string[]): Promise<void> {
    if (shell !== 'bash' && shell !== 'zsh') {
      this.printer.fail(false, usageFailure(`Unknown shell "${shell}"; use bash or zsh`));
      return;
    }
    let root = this.command;
    while (root.parent) root = root.parent;
    this.printer.line(SHELLS[shell]('skill-fleet', completionTree(root)).trimEnd());
  }
}
