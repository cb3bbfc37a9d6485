import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow } from './bench-row';
import { runDashboardBench } from './dashboard.bench';
import { runEngineBench } from './engine.bench';
import { runFootprintBench } from './footprint.bench';
import { runFrameCostBench } from './frame-cost.bench';
import { runGatewayBench } from './gateway.bench';
import { runHitlBench } from './hitl.bench';
import { runPeersBench } from './peers.bench';
import { runSkillCreateBench } from './skill-create.bench';
import { runSkillsBench } from './skills.bench';
import { repoRoot } from './support';
import { runTriggersBench } from './triggers.bench';

/**
 * `npm run bench [-- --quick]`: runs every suite, prints one table and writes docs/performance.md.
 * A suite is a function returning table rows; to add one, import it and list it in SUITES.
 */
interface Suite {
  title: string;
  run(opts: { quick: boolean }): Promise<BenchRow[]>;
}

const SUITES: Suite[] = [
  { title: 'engine', run: runEngineBench },
  { title: 'skills', run: runSkillsBench },
  { title: 'gateway', run: runGatewayBench },
  { title: 'frame-cost', run: runFrameCostBench },
  { title: 'hitl', run: runHitlBench },
  { title: 'skill-create', run: runSkillCreateBench },
  { title: 'triggers', run: runTriggersBench },
  { title: 'dashboard', run: runDashboardBench },
  { title: 'footprint', run: runFootprintBench },
];

/** Run only with --peers: installs DBOS Transact into bench/peers/ and measures it beside us. */
const PEERS_SUITE: Suite = { title: 'peers', run: runPeersBench };

const COLUMNS = ['name', 'ours', 'baseline', 'ratio', 'note'] as const;

interface Args {
  quick: boolean;
  /** Also run the peers suite (DBOS Transact beside the engine). */
  peers: boolean;
  /** Suite titles to run; empty means all. A filtered run leaves docs/performance.md alone. */
  only: string[];
  help: boolean;
}

const USAGE = 'usage: npm run bench [-- --quick] [--peers] [--only SUITE[,SUITE…]]';

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, peers: false, only: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--peers') args.peers = true;
    else if (argv[i] === '--only' && argv[i + 1]) args.only.push(...argv[++i].split(','));
    else if (argv[i] === '--help') args.help = true;
    else throw new Error(`unknown argument: ${argv[i]} (${USAGE})`);
  }
  const known = [...SUITES, PEERS_SUITE];
  const unknown = args.only.filter((title) => !known.some((suite) => suite.title === title));
  if (unknown.length > 0) throw new Error(`unknown suite(s): ${unknown.join(', ')} (${USAGE})`);
  return args;
}

const cells = (row: BenchRow): string[] => COLUMNS.map((column) => row[column] ?? '');

/** Columns padded to their widest cell; Markdown pipes escaped when `markdown`. */
function table(rows: BenchRow[], markdown: boolean): string {
  const escape = (text: string) => (markdown ? text.replace(/\|/g, '\\|') : text);
  const body = rows.map((row) => cells(row).map(escape));
  const header = [...COLUMNS];
  const widths = header.map((title, i) =>
    Math.max(markdown ? 3 : 0, title.length, ...body.map((line) => line[i].length)),
  );
  const line = (values: string[]) =>
    markdown
      ? `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`
      : values
          .map((value, i) => value.padEnd(widths[i]))
          .join('  ')
          .trimEnd();
  const rule = markdown
    ? `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`
    : widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

function machine(load: number[]): string[] {
  const cpus = os.cpus();
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'} × ${cpus.length}`,
    `- Memory: ${gib(os.totalmem())}`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node: ${process.version}`,
    `- Load average at start (1, 5, 15 min): ${load.map((value) => value.toFixed(2)).join(', ')}` +
      (load[0] > cpus.length
        ? ' (above the core count: other processes were competing for the CPU)'
        : ''),
  ];
}

interface RunFacts {
  command: string;
  started: Date;
  seconds: number;
  load: number[];
}

/** A section naming what limits each goal the run did not meet. */
function limits(rows: BenchRow[]): string[] {
  const limited = rows.filter((row) => row.limit);
  if (limited.length === 0) return [];
  return [
    '## Goals not met, and what limits them',
    '',
    ...limited.map((row) => `- **${row.name}**: ${row.limit}`),
    '',
  ];
}

function report(rows: BenchRow[], run: RunFacts): string {
  return [
    '# Performance',
    '',
    `Measured ${run.started.toISOString().replace(/\.\d+Z$/, 'Z')} by \`${run.command}\` ` +
      `(took ${Math.round(run.seconds)} s). The engine rows run in services mode: the local ` +
      'Postgres and Redis, on the same machine as the benchmark. Each note says what its row measures.',
    '',
    '## Machine',
    '',
    ...machine(run.load),
    '',
    '## Results',
    '',
    table(rows, true),
    '',
    ...limits(rows),
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(
      `${USAGE}\nsuites: ${SUITES.map((suite) => suite.title).join(', ')} (and peers, with --peers)\n`,
    );
    return;
  }
  const flags = [...(opts.quick ? ['--quick'] : []), ...(opts.peers ? ['--peers'] : [])];
  const command = flags.length > 0 ? `npm run bench -- ${flags.join(' ')}` : 'npm run bench';
  const started = new Date();
  const load = os.loadavg();
  const rows: BenchRow[] = [];
  let failed = false;
  const suites = [...SUITES, ...(opts.peers ? [PEERS_SUITE] : [])].filter(
    (suite) => opts.only.length === 0 || opts.only.includes(suite.title),
  );
  for (const suite of suites) {
    process.stderr.write(`== ${suite.title} (${opts.quick ? 'quick' : 'full'})\n`);
    const suiteStart = performance.now();
    try {
      rows.push(...(await suite.run(opts)));
      process.stderr.write(
        `== ${suite.title}: ${((performance.now() - suiteStart) / 1000).toFixed(1)} s\n`,
      );
    } catch (error) {
      // One broken suite still leaves the others' figures; the run exits non-zero.
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        `${suite.title} bench failed: ${error instanceof Error ? error.stack : message}\n`,
      );
      rows.push({ name: `${suite.title} bench`, ours: 'FAILED', note: message.split('\n')[0] });
    }
  }
  const seconds = (Date.now() - started.getTime()) / 1000;
  process.stdout.write(`\n${table(rows, false)}\n\n${limits(rows).join('\n')}\n`);
  if (opts.only.length > 0) {
    process.stdout.write('Only some suites ran: docs/performance.md was left as it is\n');
    if (failed) process.exitCode = 1;
    return;
  }
  const file = path.join(repoRoot(), 'docs', 'performance.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, report(rows, { command, started, seconds, load }));
  process.stdout.write(`Wrote ${path.relative(process.cwd(), file)} (${Math.round(seconds)} s)\n`);
  if (failed) process.exitCode = 1;
}

main().then(
  () => {
    // Everything is closed by now; should a library still hold a handle, do not hang on it.
    setTimeout(() => {
      process.stderr.write('bench: open handles remained after closing; exiting anyway\n');
      process.exit();
    }, 5000).unref();
  },
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
