import { INestApplication, INestApplicationContext, LoggerService } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import type { WorkflowDefinition } from './modules/jobs/workflow';
import { HttpExceptionFilter } from './common/http/http-exception.filter';
import { openApiDocument, serveOpenApi } from './common/http/openapi';
import { createValidationPipe } from './common/http/validation.pipe';
import { createLogger } from './common/logging/logger';
import { AppConfig } from './config/app-config';
import { EmbeddedPostgres } from './database/embedded-postgres';
import { makePrivateDir } from './database/private-dir';
import { GatewayLimits, GatewaySettings } from './gateway/gateway-settings';
import { GatewayWsAdapter } from './gateway/ws-adapter';
import { clientUrlOf, forgetServerUrl, recordServerUrl } from './modules/auth/admin-token-file';
import { TokensService } from './modules/auth/tokens.service';

export interface RunningServer {
  app: INestApplication;
  config: AppConfig;
  url: string;
  /** The admin secret when this start created it (first start), else null. Never printed. */
  newAdminToken: string | null;
  close(): Promise<void>;
}

export interface RunningWorker {
  app: INestApplicationContext;
  close(): Promise<void>;
}

/** Starts the in-process Postgres when no DATABASE_URL is given; returns the config to use. */
async function withDatabase(
  config: AppConfig,
): Promise<{ config: AppConfig; embedded?: EmbeddedPostgres }> {
  if (config.databaseUrl) return { config };
  const embedded = await EmbeddedPostgres.start(config.dataDir);
  return { config: config.with({ databaseUrl: embedded.url }), embedded };
}

/** REST under /api/v1; health, metrics and MCP at the root. */
function useRoutePrefix(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', { exclude: ['health/{*path}', 'metrics', 'mcp'] });
}

/**
 * The OpenAPI document `/api/docs-json` serves, without a database or a listening port: Nest's preview
 * mode resolves the modules and routes but creates no provider, so nothing connects or starts.
 */
export async function buildOpenApiDocument(config: AppConfig): Promise<OpenAPIObject> {
  // DatabaseModule.forRoot wants an address; in preview mode nothing ever connects to it.
  const previewConfig = config.with({
    databaseUrl: config.databaseUrl ?? 'postgres://preview.invalid',
  });
  const app = await NestFactory.create(
    AppModule.forRoot(previewConfig, { api: true, worker: false }),
    {
      preview: true,
      logger: false,
      abortOnError: false,
    },
  );
  try {
    useRoutePrefix(app);
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}

/** API + gateway, and a worker too unless `worker` is false. */
export async function startServer(
  baseConfig: AppConfig,
  options: {
    worker: boolean;
    logger?: LoggerService | false;
    extraWorkflows?: WorkflowDefinition<never, unknown>[];
    /** Overrides of the gateway's limits (ping interval, rate limit, slow-consumer bytes…). */
    gateway?: Partial<GatewayLimits>;
  },
): Promise<RunningServer> {
  makePrivateDir(baseConfig.dataDir);
  const { config, embedded } = await withDatabase(baseConfig);
  try {
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, {
        api: true,
        worker: options.worker,
        extraWorkflows: options.extraWorkflows,
      }),
      { logger: options.logger ?? createLogger(config), abortOnError: false },
    );
    app.useBodyParser('json', { limit: config.wsMaxPayload });
    const gateway = app.get(GatewaySettings);
    gateway.apply(options.gateway ?? {});
    app.useWebSocketAdapter(
      new GatewayWsAdapter(app, {
        maxPayload: config.wsMaxPayload,
        closeTimeoutMs: gateway.limits.closeTimeoutMs,
      }),
    );
    useRoutePrefix(app);
    app.useGlobalFilters(new HttpExceptionFilter());
    app.useGlobalPipes(createValidationPipe());
    serveOpenApi(app);
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address() as { port: number };
    const newAdminToken = await app.get(TokensService).ensureAdminToken();
    const clientUrl = clientUrlOf(config.host, address.port);
    recordServerUrl(config.serverUrlFile, clientUrl);
    return {
      app,
      config,
      url: `http://${config.host}:${address.port}`,
      newAdminToken,
      close: async () => {
        forgetServerUrl(config.serverUrlFile, clientUrl);
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** A queue consumer only, for services mode. */
export async function startWorker(
  config: AppConfig,
  options: {
    logger?: LoggerService | false;
    extraWorkflows?: WorkflowDefinition<never, unknown>[];
  } = {},
): Promise<RunningWorker> {
  makePrivateDir(config.dataDir);
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot(config, { api: false, worker: true, extraWorkflows: options.extraWorkflows }),
    { logger: options.logger ?? createLogger(config), abortOnError: false },
  );
  return { app, close: () => app.close() };
}
