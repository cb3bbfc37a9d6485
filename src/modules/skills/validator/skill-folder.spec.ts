import { cpuClock, cpuMillisSince } from '#test/support/cpu-time';
import * as path from 'node:path';

import { extractRelativeLinks, isInside } from './skill-folder';

describe('extractRelativeLinks', () => {
  it('finds inline links, images and reference definitions', () => {
    const body = [
      'See [a](references/a.md "title"), ![i](<assets/my img.png>), [b]( scripts/b.py).',
      '[c](c.md#part) [d](d.md?x=1) [e](e(1).md) [[nested]](f.md) [g](two%20words.md)',
      '   [ref]: references/ref.md',
    ].join('\n');
    expect(extractRelativeLinks(body)).toEqual([
      'references/a.md',
      'assets/my img.png',
      'scripts/b.py',
      'c.md',
      'd.md',
      'e(1).md',
      'f.md',
      'two words.md',
      'references/ref.md',
    ]);
  });

  it('leaves out URLs, anchors, absolute paths, code spans and code blocks', () => {
    const body = [
      '[u](https://example.com/x.md) [m](mailto:a@b.c) [t](#top) [abs](/etc/passwd)',
      '[home](~/x.md) `[span](span.md)`',
      '```md',
      '[fenced](fenced.md)',
      '```',
      '~~~',
      '[tilde](tilde.md)',
      '~~~',
      '[after](after.md)',
    ].join('\n');
    expect(extractRelativeLinks(body)).toEqual(['after.md']);
  });

  it('de-duplicates', () => {
    expect(extractRelativeLinks('[a](x.md) [b](x.md#y) [c](x.md)')).toEqual(['x.md']);
  });

  it('stays linear on hostile lines', () => {
    for (const line of ['['.repeat(1e6), '](<'.repeat(3e5), '](('.repeat(3e5), '`x'.repeat(5e5)]) {
      const start = cpuClock();
      extractRelativeLinks(line);
      expect(cpuMillisSince(start)).toBeLessThan(1000);
    }
  });
});

describe('isInside', () => {
  it('checks containment by path segments', () => {
    const root = path.resolve('/skills/pdf');
    expect(isInside(root, root)).toBe(true);
    expect(isInside(root, path.join(root, 'references', 'a.md'))).toBe(true);
    expect(isInside(root, path.join(root, '..foo'))).toBe(true);
    expect(isInside(root, path.resolve(root, '..', 'pdf-other'))).toBe(false);
    expect(isInside(root, path.resolve(root, '..'))).toBe(false);
    expect(isInside(root, path.resolve('/etc/passwd'))).toBe(false);
  });
});
