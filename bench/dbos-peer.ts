// The DBOS Transact side of the peer benchmark (peers.bench.ts), in a process of its own:
// `node dist/bench/dbos-peer.js '<PeerRequest JSON>'`. It loads @dbos-inc/dbos-sdk from bench/peers/
// (installed there by the bench, not one of the project's dependencies), runs the same workload
// as the engine side and prints one line `RESULT <WorkloadResult JSON>`.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Client } from 'pg';
import { backendCpuSeconds, repoRoot } from './support';
import { measureWorkload, PEER_STEPS, WorkloadSizes } from './workload';

export interface PeerRequest {
  systemDatabaseUrl: string;
  sizes: WorkloadSizes;
}

/** The part of DBOS's static API the workload uses (DBOS Transact 5). */
interface Dbos {
  setConfig(config: { name: string; systemDatabaseUrl: string; logLevel?: string }): void;
  launch(): Promise<void>;
  shutdown(): Promise<void>;
  registerWorkflow<A extends unknown[], R>(
    fn: (...args: A) => Promise<R>,
    config: { name: string },
  ): (...args: A) => Promise<R>;
  runStep<R>(fn: () => Promise<R>, config: { name: string }): Promise<R>;
}

export const PEERS_DIR = path.join(repoRoot(), 'bench', 'peers');

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2]) as PeerRequest;
  const peerRequire = createRequire(path.join(PEERS_DIR, 'package.json'));
  const { DBOS } = peerRequire('@dbos-inc/dbos-sdk') as { DBOS: Dbos };
  DBOS.setConfig({
    name: 'skill-fleet-bench',
    systemDatabaseUrl: request.systemDatabaseUrl,
    logLevel: 'error',
  });
  const noop = DBOS.registerWorkflow(
    async () => {
      for (let i = 1; i <= PEER_STEPS; i++) {
        await DBOS.runStep(async () => null, { name: `s${i}` });
      }
      return PEER_STEPS;
    },
    { name: 'bench-noop' },
  );
  await DBOS.launch();
  const direct = new Client({ connectionString: request.systemDatabaseUrl });
  await direct.connect();
  try {
    const result = await measureWorkload(
      request.sizes,
      async () => {
        await noop();
      },
      async () => {
        const { user, system } = process.cpuUsage();
        return { node: (user + system) / 1e6, postgres: await backendCpuSeconds(direct) };
      },
    );
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    await direct.end();
    await DBOS.shutdown();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`dbos peer failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
