// A real worker process for e2e crash and drain tests: `node -r test/support/swc-register.cjs
// test/support/test-worker.ts` with DATABASE_URL, REDIS_URL and QUEUE_PREFIX in its environment.
import 'reflect-metadata';
import { AppConfig } from '#src/config/app-config';
import { startWorker } from '#src/server';
import { TEST_WORKFLOWS } from './test-workflows';

async function main(): Promise<void> {
  const worker = await startWorker(AppConfig.fromEnvironment(), {
    logger: false,
    extraWorkflows: TEST_WORKFLOWS,
  });
  process.stdout.write('worker ready\n');
  const stop = () =>
    void worker.close().then(
      () => process.exit(0),
      (error: unknown) => exitWith(error),
    );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function exitWith(error: unknown): never {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}

main().catch(exitWith);
