import * as fs from 'node:fs';
import { AppConfig } from '../src/config/app-config';

/** Reads `.env` from the working directory (without overriding the real environment), then validates. */
export function loadConfig(): AppConfig {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  return AppConfig.fromEnvironment();
}
