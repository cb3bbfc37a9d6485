import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfig } from '#src/config/app-config';
import { clientUrlOf, recordServerUrl } from '#src/modules/auth/admin-token-file';
import { checkServer } from './doctor.command';

describe('doctor: the running server', () => {
  let dataDir: string;
  let config: AppConfig;
  let server: http.Server;
  let metrics = '';

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-doctor-'));
    config = AppConfig.fromEnvironment({ DATA_DIR: dataDir });
    server = http.createServer((request, response) => {
      response.writeHead(request.url === '/metrics' ? 200 : 404).end(metrics);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const record = () =>
    recordServerUrl(
      config.serverUrlFile,
      clientUrlOf('127.0.0.1', (server.address() as AddressInfo).port),
    );

  it('reports the resident memory from the /metrics of the server recorded on DATA_DIR', async () => {
    record();
    metrics = '# TYPE x gauge\nskill_fleet_process_resident_memory_bytes 209715200\nx 1\n';
    const check = await checkServer(config);
    expect(check).toMatchObject({ name: 'server', ok: true });
    expect(check.message).toMatch(
      /^Running at http:\/\/127\.0\.0\.1:\d+: 200\.0 MiB resident memory$/,
    );
  });

  it('fails when the recorded address answers without the figure', async () => {
    record();
    metrics = 'something else\n';
    expect(await checkServer(config)).toMatchObject({ name: 'server', ok: false });
  });

  it('passes with no server recorded, or one that does not answer', async () => {
    fs.rmSync(config.serverUrlFile, { force: true });
    expect(await checkServer(config)).toMatchObject({
      ok: true,
      message: 'No server is running on this DATA_DIR',
    });
    recordServerUrl(config.serverUrlFile, 'ws://127.0.0.1:1/ws');
    expect((await checkServer(config)).message).toMatch(/does not answer/);
  });
});
