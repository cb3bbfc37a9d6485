import { ConsoleLogger, LogLevel } from '@nestjs/common';
import type { AppConfig } from '#src/config/app-config';
import { escapeLogText, escapeStack } from './log-text';
import { redactUrlPasswords } from './redact-url';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Nest's start-up chatter (every module and route); shown from LOG_LEVEL=debug on. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'WebSocketsController',
  'NestApplication',
]);

/**
 * Structured logs: one JSON object per line off a terminal, readable colour lines on one. JSON
 * escapes what messages hold; the readable lines escape control characters themselves, so that one
 * message stays one line.
 */
class AppLogger extends ConsoleLogger {
  constructor(
    private readonly quietFramework: boolean,
    options: ConstructorParameters<typeof ConsoleLogger>[1],
  ) {
    super('SkillFleet', options);
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (this.quietFramework && typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context))
      return;
    super.log(message, ...rest);
  }

  /** No log line names a URL with its password (a driver's error may quote DATABASE_URL). */
  protected override resolveMessage(message: unknown): unknown {
    const resolved = super.resolveMessage(message);
    return typeof resolved === 'string' ? redactUrlPasswords(resolved) : resolved;
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    return super.stringifyMessage(
      typeof message === 'string' ? escapeLogText(message) : message,
      logLevel,
    );
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(stack && escapeStack(redactUrlPasswords(stack)));
  }
}

export const createLogger = (config: Pick<AppConfig, 'logLevel' | 'logFormat'>): ConsoleLogger =>
  new AppLogger(config.logLevel === 'info', {
    logLevels: LEVELS[config.logLevel],
    json: config.logFormat === 'json',
    colors: config.logFormat === 'pretty',
  });
