import { Command, CommandRunner } from 'nest-commander';
import { startWorker } from '#src/server';
import { CliOutput } from '../cli-output';
import { UsageError } from '../usage-error';
import { loadConfig } from '../load-config';
import { untilShutdownSignal } from '../shutdown';

@Command({
  name: 'worker',
  description: 'Run a queue consumer only (needs DATABASE_URL and REDIS_URL)',
})
export class WorkerCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(): Promise<void> {
    const config = loadConfig();
    if (config.mode !== 'services') {
      throw new UsageError(
        'A separate worker needs DATABASE_URL and REDIS_URL; in embedded mode `skill-fleet serve` runs the worker itself.',
      );
    }
    const worker = await startWorker(config);
    this.out.line(`Worker started (concurrency ${config.workerConcurrency}). Ctrl-C to stop.`);
    await untilShutdownSignal();
    await worker.close();
  }
}
