import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { EMBEDDED_POSTGRES_SETTINGS, EmbeddedPostgres } from './embedded-postgres';
import { PG_SOCKET_NAME } from './pglite-server';

// PGlite's first start in an empty folder takes seconds.
jest.setTimeout(180_000);

describe('EmbeddedPostgres', () => {
  const umask = process.umask();
  let dataDir: string;
  let embedded: EmbeddedPostgres;

  beforeAll(async () => {
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sf-embedded-')), 'data');
    embedded = await EmbeddedPostgres.start(dataDir, { idleInTransactionLimitMs: 500 });
  });
  afterAll(async () => {
    await embedded?.stop();
    process.umask(umask);
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  const connect = async (): Promise<Client> => {
    const client = new Client({ connectionString: embedded.url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  it('serves on a Unix socket in a DATA_DIR only its owner can enter', async () => {
    expect(embedded.url).not.toMatch(/:\d+\//);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    const socket = fs.lstatSync(path.join(dataDir, PG_SOCKET_NAME));
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o077).toBe(0);
    const client = await connect();
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it('runs with memory settings sized for one person, not for a shared server', async () => {
    const client = await connect();
    for (const [name, value] of Object.entries(EMBEDDED_POSTGRES_SETTINGS)) {
      const { rows } = await client.query<Record<string, string>>(`SHOW ${name}`);
      expect(rows[0][name]).toBe(value);
    }
    await client.end();
  });

  it('cuts a connection idle in a transaction, rolls it back and lets the others go on', async () => {
    const holder = await connect();
    await holder.query('CREATE TABLE IF NOT EXISTS idle_probe (n int)');
    await holder.query('BEGIN');
    await holder.query('INSERT INTO idle_probe VALUES (1)');
    const closed = new Promise<void>((resolve) => holder.once('end', () => resolve()));

    // Waits behind the holder until it is cut.
    const other = await connect();
    const rows = await other.query<{ n: number }>('SELECT n FROM idle_probe');
    expect(rows.rows).toEqual([]);
    await closed;
    await expect(holder.query('SELECT 1')).rejects.toThrow();
    await other.end();
  });
});
