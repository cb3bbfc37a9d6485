import { ConsoleLogger, LogLevel } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Structured logs: one JSON object per line off a terminal, readable colour lines on one. */
export const createLogger = (config: Pick<AppConfig, 'logLevel' | 'logFormat'>): ConsoleLogger =>
  new ConsoleLogger('SkillFleet', {
    logLevels: LEVELS[config.logLevel],
    json: config.logFormat === 'json',
    colors: config.logFormat === 'pretty',
  });
