import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_METHODS } from './protocol';

/** The text of one `###` section of docs/protocol.md. */
function section(heading: string): string {
  const text = readFileSync(join(__dirname, '../../docs/protocol.md'), 'utf8');
  const start = text.indexOf(`### ${heading}`);
  const end = text.indexOf('\n### ', start + 1);
  return text.slice(start, end);
}

describe('client protocol vocabulary', () => {
  it('names the methods that protocol.md 1.3 documents, each once', () => {
    const methods = section('1.3 Methods');
    const inTable = [...methods.matchAll(/^\| `([a-z.]+)`/gm)].map((m) => m[1]);
    // The rest are written inline, `name {payload}` → reply.
    const inText = [...methods.matchAll(/`([a-z]+\.[a-z]+)(?: \{[^`]*\})?` →/g)].map((m) => m[1]);
    const documented = [...inTable, ...inText];
    expect(new Set(PROTOCOL_METHODS).size).toBe(PROTOCOL_METHODS.length);
    expect([...PROTOCOL_METHODS].sort()).toEqual(documented.sort());
  });
});
