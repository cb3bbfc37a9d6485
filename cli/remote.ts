import * as fs from 'node:fs';
import { Injectable } from '@nestjs/common';
import {
  ERROR_CODES,
  MethodName,
  Methods,
  SkillFleetClient,
  SkillFleetClientOptions,
  SkillFleetError,
} from '../src/client';
import { ConfigError } from '../src/config/environment';
import { isRecordedServer, readServerUrl } from '../src/modules/auth/admin-token-file';
import { EXIT_REFUSED, EXIT_USAGE } from './exit-codes';
import { loadConfig } from './load-config';
import { IdKind, isFullId, resolveId } from './id-prefix';
import { CliFailure } from './printer';

/** The options every remote command takes. */
export interface RemoteOptions {
  url?: string;
  token?: string;
}

/** A token for the remote commands when --token is not given (any server, any --url). */
export const TOKEN_VARIABLE = 'SKILL_FLEET_TOKEN';

const START_HINT =
  'Start a server with `npm start` (or `skill-fleet serve`), or point --url at a running one.';

/** A server to talk to and the token to present (the remote commands and the dashboard). */
export interface ServerTarget {
  url: string;
  token: string;
}

/**
 * How the remote commands reach a running server (protocol.md §3): one WebSocket connection per
 * command, to `--url` with `--token` (defaults: see resolveTarget).
 */
@Injectable()
export class Remote {
  /** Connects, makes one call, closes; every failure comes back as a CliFailure. */
  call<M extends MethodName>(
    options: RemoteOptions,
    method: M,
    payload: Methods[M]['payload'],
  ): Promise<Methods[M]['reply']> {
    return this.connected(options, { reconnect: false }, (client) => client.call(method, payload));
  }

  /**
   * The full id that `value` (a whole id, or a unique prefix of at least 6 characters) names,
   * looked up through the server's list methods (see id-prefix.ts); a whole UUID needs no call.
   */
  resolveId(options: RemoteOptions, kind: IdKind, value: string): Promise<string> {
    if (isFullId(value)) return Promise.resolve(value.toLowerCase());
    return this.connected(options, { reconnect: false }, (client) =>
      resolveId(client, kind, value),
    );
  }

  /**
   * Connects, runs `work` with the client (subscriptions, several calls), closes. A dropped
   * connection is re-opened up to `maxReconnectAttempts` times in a row (backoff up to 10 s each).
   */
  session<T>(
    options: RemoteOptions,
    work: (client: SkillFleetClient) => Promise<T>,
    maxReconnectAttempts = 5,
  ): Promise<T> {
    return this.connected(options, { maxReconnectAttempts }, work);
  }

  private async connected<T>(
    options: RemoteOptions,
    reconnect: Pick<SkillFleetClientOptions, 'reconnect' | 'maxReconnectAttempts'>,
    work: (client: SkillFleetClient) => Promise<T>,
  ): Promise<T> {
    const target = this.resolveTarget(options);
    let client: SkillFleetClient;
    try {
      client = await SkillFleetClient.connect({
        url: target.url,
        token: target.token,
        ...reconnect,
        requestTimeoutMs: 60_000,
      });
    } catch (error) {
      throw remoteFailure(error, target.url);
    }
    try {
      return await work(client);
    } catch (error) {
      throw remoteFailure(error, target.url);
    } finally {
      await client.close();
    }
  }

  /**
   * The server and token to use. The URL: --url, else the one the server recorded in DATA_DIR, else
   * ws://127.0.0.1:$PORT/ws. The token: --token, else SKILL_FLEET_TOKEN, else the admin token file,
   * which is sent only to the server that recorded its URL beside it (never to another --url).
   */
  resolveTarget(
    options: RemoteOptions,
    environment: NodeJS.ProcessEnv = process.env,
  ): ServerTarget {
    if (options.url && options.token) return { url: options.url, token: options.token };
    const config = loadConfig();
    const recorded = readServerUrl(config.serverUrlFile);
    const url = options.url ?? recorded ?? `ws://127.0.0.1:${config.port}/ws`;
    const token = options.token ?? environment[TOKEN_VARIABLE]?.trim();
    if (token) return { url, token };
    if (!recorded || !isRecordedServer(url, recorded)) {
      const whose = recorded
        ? `it is sent only to the server that wrote it (${recorded})`
        : `no running server recorded its address in ${config.serverUrlFile}`;
      throw new CliFailure(
        'NO_TOKEN',
        `No token for ${url}: --token was not given, ${TOKEN_VARIABLE} is not set, and the admin token in ${config.adminTokenFile} is not used because ${whose}`,
        EXIT_USAGE,
        `Pass --token or set ${TOKEN_VARIABLE} for this server.`,
      );
    }
    let fileToken: string;
    try {
      fileToken = fs.readFileSync(config.adminTokenFile, 'utf8').trim();
    } catch {
      fileToken = '';
    }
    if (!fileToken) {
      throw new CliFailure(
        'NO_TOKEN',
        `No token: --token was not given, ${TOKEN_VARIABLE} is not set, and ${config.adminTokenFile} does not exist or is empty`,
        EXIT_USAGE,
        `Pass --token, set ${TOKEN_VARIABLE}, or set DATA_DIR to the server's data folder (the server writes admin-token there on first start).`,
      );
    }
    return { url, token: fileToken };
  }
}

const SERVER_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

const HINTS: Record<string, string> = {
  VALIDATION_FAILED: 'Check the arguments against --help.',
  NOT_FOUND: 'Check the id (the list commands show the ids).',
  CONFLICT: 'The object is not in a state that allows this; `show` it to see its state.',
  FORBIDDEN: 'This needs an admin token that is not read-only.',
  UNAUTHORIZED: `The token was refused: pass a valid --token or ${TOKEN_VARIABLE} (or check DATA_DIR/admin-token).`,
  RATE_LIMITED: 'Wait a moment and try again.',
  UNAVAILABLE: 'The server is busy or shutting down; try again.',
  INTERNAL: 'The server failed; its log has the details.',
};

/** Maps a client error to what the CLI reports: server refusals exit 1, an unreachable server 2. */
export function remoteFailure(error: unknown, url: string): CliFailure {
  if (error instanceof CliFailure) return error;
  if (error instanceof ConfigError) {
    // Reading PORT / DATA_DIR for the defaults: a bad variable is a usage error (exit 2).
    return new CliFailure(
      'CONFIG',
      error.message,
      EXIT_USAGE,
      'Fix the variables above (see .env.example).',
    );
  }
  if (!(error instanceof SkillFleetError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new CliFailure('INTERNAL', message, EXIT_REFUSED);
  }
  if (SERVER_CODES.has(error.code)) {
    return new CliFailure(error.code, withDetails(error), EXIT_REFUSED, HINTS[error.code]);
  }
  if (error.code === 'CONNECTION_FAILED') {
    return new CliFailure('UNREACHABLE', `No server answers at ${url}`, EXIT_USAGE, START_HINT);
  }
  // CONNECTION_LOST, TIMEOUT, CLOSED: the server went away or stopped answering.
  return new CliFailure(error.code, `${error.message} (${url})`, EXIT_USAGE, START_HINT);
}

function withDetails(error: SkillFleetError): string {
  if (!Array.isArray(error.details) || error.details.length === 0) return error.message;
  const parts = error.details
    .map((d: unknown) => {
      if (!d || typeof d !== 'object') return String(d);
      const { field, message } = d as { field?: unknown; message?: unknown };
      return [field, message].filter((x) => typeof x === 'string').join(': ');
    })
    .filter(Boolean);
  // The server's message is its first detail already (AppError.validation): said once.
  const more = parts.filter((part) => part !== error.message);
  if (more.length === 0) return error.message;
  return parts.length > more.length
    ? `${error.message}; ${more.join('; ')}`
    : `${error.message}: ${more.join('; ')}`;
}
