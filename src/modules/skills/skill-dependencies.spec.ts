import { cpuClock, cpuMillisSince } from '#test/support/cpu-time';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  findDependencyProblems,
  parseDependencyList,
  readMetadataJsonDependencies,
} from './skill-dependencies';

const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

const summary = (edges: Record<string, string[]>) =>
  Object.fromEntries(
    [...findDependencyProblems(graphOf(edges))].map(([id, p]) => [
      id,
      [...p.errors, ...p.warnings].map((i) => `${i.code}: ${i.message}`),
    ]),
  );

describe('findDependencyProblems', () => {
  it('finds nothing in a graph without edges, or in a chain', () => {
    expect(summary({ 'a/x': [], 'b/y': [] })).toEqual({});
    expect(summary({ 'a/x': ['b/y'], 'b/y': ['c/z'], 'c/z': [] })).toEqual({});
  });

  it('reports a self-loop', () => {
    expect(summary({ 'a/x': ['a/x'], 'b/y': ['a/x'] })).toEqual({
      'a/x': ['DEPENDENCY_CYCLE: Dependency cycle: a/x → a/x'],
    });
  });

  it('reports a 2-cycle on both skills, each starting from itself', () => {
    expect(summary({ 'a/x': ['b/y'], 'b/y': ['a/x'], 'c/z': ['a/x'] })).toEqual({
      'a/x': ['DEPENDENCY_CYCLE: Dependency cycle: a/x → b/y → a/x'],
      'b/y': ['DEPENDENCY_CYCLE: Dependency cycle: b/y → a/x → b/y'],
    });
  });

  it('reports a 3-cycle on its three skills, and not on a skill that only leads into it', () => {
    const result = summary({
      'a/x': ['b/y'],
      'b/y': ['c/z'],
      'c/z': ['a/x'],
      'd/w': ['a/x'],
    });
    expect(result).toEqual({
      'a/x': ['DEPENDENCY_CYCLE: Dependency cycle: a/x → b/y → c/z → a/x'],
      'b/y': ['DEPENDENCY_CYCLE: Dependency cycle: b/y → c/z → a/x → b/y'],
      'c/z': ['DEPENDENCY_CYCLE: Dependency cycle: c/z → a/x → b/y → c/z'],
    });
  });

  it('names a shortest cycle through each skill of a larger component', () => {
    // a → b → c → a, plus a → c: the shortest cycle through a skips b
    const result = summary({ 'a/a': ['b/b', 'c/c'], 'b/b': ['c/c'], 'c/c': ['a/a'] });
    expect(result['a/a']).toEqual(['DEPENDENCY_CYCLE: Dependency cycle: a/a → c/c → a/a']);
    expect(result['b/b']).toEqual(['DEPENDENCY_CYCLE: Dependency cycle: b/b → c/c → a/a → b/b']);
  });

  it('accepts a diamond, which shares a dependency without a cycle', () => {
    expect(
      summary({
        'top/app': ['mid/left', 'mid/right'],
        'mid/left': ['base/core'],
        'mid/right': ['base/core'],
        'base/core': [],
      }),
    ).toEqual({});
  });

  it('warns of each declared id that is not in the graph, once', () => {
    const problems = findDependencyProblems(
      graphOf({ 'a/x': ['b/gone', 'b/gone', 'c/z'], 'c/z': [] }),
    );
    expect(problems.get('a/x')).toEqual({
      errors: [],
      warnings: [
        {
          code: 'DEPENDENCY_MISSING',
          field: 'metadata.dependencies',
          message: 'Depends on b/gone, which is not an indexed skill',
        },
      ],
    });
    expect(problems.has('c/z')).toBe(false);
  });

  it('reports a cycle and a missing id together', () => {
    expect(summary({ 'a/x': ['a/x', 'z/none'] })).toEqual({
      'a/x': [
        'DEPENDENCY_CYCLE: Dependency cycle: a/x → a/x',
        'DEPENDENCY_MISSING: Depends on z/none, which is not an indexed skill',
      ],
    });
  });

  it('handles a ring of 20,000 skills in linear time, without deep recursion', () => {
    const edges: Record<string, string[]> = {};
    const n = 20_000;
    for (let i = 0; i < n; i++) edges[`c/s${i}`] = [`c/s${(i + 1) % n}`];
    const started = cpuClock();
    const problems = findDependencyProblems(graphOf(edges));
    expect(cpuMillisSince(started)).toBeLessThan(2_000);
    expect(problems.size).toBe(n);
    expect(problems.get('c/s5')?.errors[0].message).toBe(
      'Dependency cycle among 20000 skills: c/s0 → c/s1 → c/s2 → c/s3 → c/s4 → c/s5 → c/s6 → ' +
        'c/s7 → c/s8 → c/s9 → c/s10 → … (19989 more) → c/s0',
    );
  });

  it('elides the middle of a long cycle', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 20; i++) edges[`c/s${i}`] = [`c/s${(i + 1) % 20}`];
    expect(findDependencyProblems(graphOf(edges)).get('c/s0')?.errors[0].message).toBe(
      'Dependency cycle: c/s0 → c/s1 → c/s2 → c/s3 → c/s4 → c/s5 → c/s6 → c/s7 → c/s8 → c/s9 → ' +
        'c/s10 → … (9 more) → c/s0',
    );
  });
});

describe('declared dependencies', () => {
  it('splits a metadata value on commas and spaces', () => {
    expect(
      parseDependencyList(' python/type-hints, python/async-await  web/x,python/type-hints'),
    ).toEqual(['python/type-hints', 'python/async-await', 'web/x']);
    expect(parseDependencyList('')).toEqual([]);
  });

  it('reads metadata.json, ignoring a file that is missing, not JSON or of another shape', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-deps-'));
    try {
      const write = (text: string) => fs.writeFileSync(path.join(dir, 'metadata.json'), text);
      expect(await readMetadataJsonDependencies(dir)).toEqual([]);
      write('{"dependencies": ["python/type-hints", 3, "web/x"]}');
      expect(await readMetadataJsonDependencies(dir)).toEqual(['python/type-hints', 'web/x']);
      write('{"dependencies": "a/b, c/d"}');
      expect(await readMetadataJsonDependencies(dir)).toEqual(['a/b', 'c/d']);
      write('not json');
      expect(await readMetadataJsonDependencies(dir)).toEqual([]);
      write('["a/b"]');
      expect(await readMetadataJsonDependencies(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
