import { Injectable } from '@nestjs/common';
import type { Command } from 'commander';
import { InjectCommander } from 'nest-commander';

/**
 * Names the program `skill-fleet` in usage and help. Commander otherwise names it after the script
 * it was started from, which is `main` under `npm run cli` or `node dist/cli/main.js`.
 */
@Injectable()
export class ProgramName {
  constructor(@InjectCommander() program: Command) {
    program.name('skill-fleet');
  }
}
