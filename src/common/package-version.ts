import * as fs from 'node:fs';
import * as path from 'node:path';

/** The version in the package.json above this file (src/… in development, dist/src/… when built). */
export function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      name?: string;
      version?: string;
    };
    if (manifest.name === 'skill-fleet' && manifest.version) return manifest.version;
  }
  return 'unknown';
}
