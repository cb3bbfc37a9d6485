/**
 * Dependencies between indexed skills: what a folder declares (`metadata.dependencies` in the
 * frontmatter, or `dependencies` in a `metadata.json` beside SKILL.md) and the problems of the
 * graph they form (cycles, ids that are not in the index). Pure except `readMetadataJsonDependencies`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ValidationError, ValidationWarning } from './validator';

/** The dependency graph: skill id → the ids it declares. Every key is an indexed skill. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

export interface DependencyProblems {
  errors: ValidationError[];
  warnings: ValidationWarning[];
}

export const DEPENDENCY_CODES: ReadonlySet<string> = new Set([
  'DEPENDENCY_CYCLE',
  'DEPENDENCY_MISSING',
]);

const FIELD = 'metadata.dependencies';
const MAX_METADATA_JSON_BYTES = 64 * 1024;
/** Up to this many skills on one cycle, each gets a shortest cycle through itself (one search each). */
const MAX_COMPONENT_NAMED = 64;
/** Ids shown of a cycle before the rest is elided. */
const MAX_IDS_SHOWN = 12;

/** A list of skill ids separated by commas and/or white space, deduplicated, in order. */
export function parseDependencyList(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).filter(Boolean))];
}

/**
 * `dependencies` of `<dir>/metadata.json` (a list of ids, or a string parsed like the frontmatter's),
 * or [] when the file is missing, a symlink, too large, not JSON or has no usable `dependencies`.
 */
export async function readMetadataJsonDependencies(dir: string): Promise<string[]> {
  const file = path.join(dir, 'metadata.json');
  try {
    const stat = await fs.lstat(file);
    if (!stat.isFile() || stat.size > MAX_METADATA_JSON_BYTES) return [];
    const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return [];
    const declared: unknown = (parsed as Record<string, unknown>).dependencies;
    if (typeof declared === 'string') return parseDependencyList(declared);
    if (Array.isArray(declared)) {
      return parseDependencyList(
        declared.filter((d): d is string => typeof d === 'string').join(' '),
      );
    }
    return [];
  } catch {
    return [];
  }
}

/**
 * The problems of each skill of the graph that has any: `DEPENDENCY_CYCLE` (an error) on every
 * skill that lies on a cycle, its message naming one shortest cycle through that skill
 * (`a/x → b/y → a/x`), and `DEPENDENCY_MISSING` (a warning) for each declared id that is not a
 * key of the graph. Cycles are the strongly connected components of Tarjan's algorithm (iterative,
 * so a long chain cannot overflow the stack) with more than one skill, or one that names itself.
 * In a component of more than MAX_COMPONENT_NAMED skills, every member names the same shortest
 * cycle through the component's first id, so the work stays linear; long cycles are elided.
 */
export function findDependencyProblems(graph: DependencyGraph): Map<string, DependencyProblems> {
  const problems = new Map<string, DependencyProblems>();
  const entry = (id: string): DependencyProblems => {
    let found = problems.get(id);
    if (!found) problems.set(id, (found = { errors: [], warnings: [] }));
    return found;
  };
  const edges = new Map<string, string[]>();
  for (const id of [...graph.keys()].sort()) {
    const targets = [...new Set(graph.get(id))].sort();
    for (const target of targets) {
      if (!graph.has(target)) {
        entry(id).warnings.push({
          code: 'DEPENDENCY_MISSING',
          field: FIELD,
          message: `Depends on ${target}, which is not an indexed skill`,
        });
      }
    }
    edges.set(
      id,
      targets.filter((t) => graph.has(t)),
    );
  }
  for (const component of stronglyConnected(edges)) {
    const members = new Set(component);
    const sorted = [...component].sort();
    const first = sorted[0];
    if (component.length === 1 && !edges.get(first)?.includes(first)) continue;
    const shared =
      component.length > MAX_COMPONENT_NAMED
        ? `Dependency cycle among ${component.length} skills: ${showCycle(shortestCycle(first, edges, members))}`
        : undefined;
    for (const id of sorted) {
      entry(id).errors.push({
        code: 'DEPENDENCY_CYCLE',
        field: FIELD,
        message: shared ?? `Dependency cycle: ${showCycle(shortestCycle(id, edges, members))}`,
      });
    }
  }
  return problems;
}

function showCycle(cycle: string[]): string {
  if (cycle.length <= MAX_IDS_SHOWN) return cycle.join(' → ');
  const head = cycle.slice(0, MAX_IDS_SHOWN - 1);
  const hidden = cycle.length - MAX_IDS_SHOWN;
  return [...head, `… (${hidden} more)`, cycle[cycle.length - 1]].join(' → ');
}

/** Tarjan's strongly connected components, without recursion. */
function stronglyConnected(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: { id: string; edge: number }[] = [{ id: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const targets = edges.get(frame.id) ?? [];
      if (frame.edge < targets.length) {
        const target = targets[frame.edge++];
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ id: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component);
      }
    }
  }
  return components;
}

/** A shortest path `start → … → start` inside one component (breadth first, ids in order). */
function shortestCycle(
  start: string,
  edges: ReadonlyMap<string, readonly string[]>,
  members: ReadonlySet<string>,
): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head];
    for (const target of edges.get(id) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (
          let at: string | undefined = id;
          at !== start && at !== undefined;
          at = previous.get(at)
        ) {
          path.push(at);
        }
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!previous.has(target)) {
        previous.set(target, id);
        queue.push(target);
      }
    }
  }
  return [start, start];
}
