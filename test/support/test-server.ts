import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AppConfig } from '#src/config/app-config';
import type { GatewayLimits } from '#src/gateway/gateway-settings';
import { startServer, RunningServer } from '#src/server';
import { loadRun, withDatabase } from './e2e-env';
import { TEST_WORKFLOWS } from './test-workflows';

export interface TestServer extends RunningServer {
  adminToken: string;
  httpUrl: string;
  wsUrl: string;
  env: Record<string, string>;
  /** Stops this process's app and starts a new one on the same data (a restart). */
  restart(): Promise<TestServer>;
  stop(): Promise<void>;
}

let counter = 0;

/**
 * Starts the real application (API + gateway + worker) on a free loopback port, on a private copy of
 * the run's migrated template: its own DATA_DIR, and in services mode its own database and Bull prefix.
 */
export interface TestServerOptions {
  env?: Record<string, string>;
  /** Last word on the environment, e.g. to route DATABASE_URL through a TcpProxy. */
  rewriteEnv?: (env: Record<string, string>) => void;
  /** Run a worker in this process too (default true). */
  worker?: boolean;
  /** Services mode: another gateway process of `shareWith`'s deployment (its database and queue). */
  shareWith?: TestServer;
  /** Gateway limits for this server (ping interval, rate limit, slow-consumer bytes…). */
  gateway?: Partial<GatewayLimits>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const run = loadRun();
  const id = `${process.pid}_${Date.now()}_${++counter}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-e2e-'));
  const env: Record<string, string> = {
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    QUEUE_PREFIX: `${run.queuePrefix}-${counter}`,
    SWEEP_INTERVAL_MS: '500',
    ...options.env,
  };
  let database: string | undefined;
  if (options.shareWith) {
    if (run.mode === 'embedded') throw new Error('shareWith needs services mode');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'QUEUE_PREFIX']) {
      env[name] = options.shareWith.env[name];
    }
  } else if (run.mode === 'embedded') {
    fs.cpSync(run.templateDataDir!, dataDir, { recursive: true });
  } else {
    database = `sf_e2e_${id}`;
    await adminQuery(
      run.adminDatabaseUrl!,
      `CREATE DATABASE ${database} TEMPLATE ${run.templateDatabase}`,
    );
    env.DATABASE_URL = withDatabase(run.adminDatabaseUrl!, database);
    env.REDIS_URL = run.redisUrl!;
  }
  options.rewriteEnv?.(env);
  const cleanup = async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (database) {
      await adminQuery(run.adminDatabaseUrl!, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await deleteKeys(run.redisUrl!, `${env.QUEUE_PREFIX}:*`);
    }
  };
  return launch(env, options.worker ?? true, cleanup, options.gateway);
}

async function launch(
  env: Record<string, string>,
  worker: boolean,
  cleanup: () => Promise<void>,
  gateway?: Partial<GatewayLimits>,
): Promise<TestServer> {
  const server = await startServer(AppConfig.fromEnvironment(env), {
    worker,
    extraWorkflows: TEST_WORKFLOWS,
    gateway,
  });
  const adminToken = fs.readFileSync(server.config.adminTokenFile, 'utf8').trim();
  return {
    ...server,
    adminToken,
    httpUrl: server.url,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/ws`,
    env,
    restart: async () => {
      await server.close();
      return launch(env, worker, cleanup, gateway);
    },
    stop: async () => {
      await server.close();
      await cleanup();
    },
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(pattern);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
