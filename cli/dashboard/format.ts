import { ignoreUnknownEvent, type JobStatus } from '#src/client/index';
import type { LoggedEvent } from './store';
import { terminalText } from '../terminal-text';

/** Text helpers for the views. Colour only ever adds to a word that is shown anyway. */

const STATUS_COLOURS: Record<JobStatus, string> = {
  queued: 'blue',
  running: 'cyan',
  waiting: 'yellow',
  completed: 'green',
  failed: 'red',
  cancelled: 'magenta',
};

/**
 * Text that came from the server or the user, made safe for a tagged blessed box: no control
 * sequence, and its braces escaped so blessed does not read them as tags.
 */
export function esc(text: string): string {
  return terminalText(text).replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

export function colour(name: string, text: string): string {
  return `{${name}-fg}${text}{/${name}-fg}`;
}

/** The status word, padded to `width`, coloured by meaning. */
export function statusWord(status: string, width = 0): string {
  const name = STATUS_COLOURS[status as JobStatus];
  const padded = status.padEnd(width);
  return name ? colour(name, padded) : padded;
}

/** A text progress bar: `[#####.....]  50%`. */
export function progressBar(percent: number, width = 10): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((p / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(p).padStart(3)}%`;
}

/** A short age: `12s`, `5m`, `3h`, `2d`. */
export function age(since: string | null, now: number = Date.now()): string {
  if (!since) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Time until `until`: `in 5m`, or `expired`. */
export function expiry(until: string | null, now: number = Date.now()): string {
  if (!until) return 'never';
  const ms = Date.parse(until) - now;
  if (ms <= 0) return 'expired';
  return `in ${age(new Date(now - ms).toISOString(), now)}`;
}

export function duration(ms: number | null): string {
  if (ms === null) return '…';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Cuts or pads plain text (control sequences removed) to exactly `width` characters. */
export function fit(text: string, width: number): string {
  const flat = terminalText(text).replace(/[\t\n]/g, ' ');
  if (width <= 0) return '';
  if (flat.length <= width) return flat.padEnd(width);
  return width === 1 ? '…' : `${flat.slice(0, width - 1)}…`;
}

export const shortId = (id: string): string => id.slice(0, 8);

/** Plain text (control sequences removed) broken into lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const raw of terminalText(text).split('\n')) {
    let line = raw.replace(/\t/g, '  ');
    while (line.length > width) {
      const space = line.lastIndexOf(' ', width);
      const cut = space > width / 3 ? space : width;
      lines.push(line.slice(0, cut));
      line = line.slice(cut).replace(/^ /, '');
    }
    lines.push(line);
  }
  return lines;
}

/** One line of an event's payload, short. */
function eventSummary(event: LoggedEvent): string {
  switch (event.event) {
    case 'job.status':
      return `${event.payload.previous} → ${event.payload.status}`;
    case 'job.progress':
      return `${event.payload.percent}% ${event.payload.message ?? ''}`;
    case 'step.started':
      return `${event.payload.step} (attempt ${event.payload.attempt})`;
    case 'step.completed':
      return `${event.payload.step} ${duration(event.payload.durationMs)}`;
    case 'step.failed': {
      const { step, error, willRetry } = event.payload;
      return `${step} ${JSON.stringify(error)}${willRetry ? ' (will retry)' : ''}`;
    }
    case 'prompt.opened':
      return event.payload.prompt.kind;
    case 'prompt.answered':
      return `by ${event.payload.answeredBy}`;
    case 'job.log':
      return `${event.payload.level}: ${event.payload.message}`;
    case 'job.failed':
      return JSON.stringify(event.payload.error);
    case 'job.cancelled':
      return event.payload.reason ?? '';
    case 'job.rewound':
      return `to ${event.payload.toStep}`;
    case 'job.created':
    case 'prompt.expired':
    case 'prompt.cancelled':
    case 'job.completed':
      return '';
    default:
      ignoreUnknownEvent(event);
      return '';
  }
}

/** One event of a job's log as one line of plain text: `#12 21:00:01 step.started plan (attempt 1)`. */
export function eventLine(event: LoggedEvent): string {
  return `#${event.seq} ${event.ts.slice(11, 19)} ${event.event} ${eventSummary(event)}`;
}

const isPlain = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** One item of a list as one line: a plain value, or an object's plain fields `key: value · …`. */
function itemText(item: unknown): string {
  if (isPlain(item)) return String(item);
  if (item && typeof item === 'object') {
    return Object.entries(item)
      .map(([key, value]) =>
        isPlain(value)
          ? `${key}: ${value}`
          : Array.isArray(value)
            ? `${key}: ${value.map(itemText).join(', ')}`
            : '',
      )
      .filter(Boolean)
      .join(' · ');
  }
  return '';
}

/**
 * An object (a prompt's payload) as labelled fields for a tagged box, wrapped to `width`: `label:
 * value`, lists as `- item`, nested objects indented. Text is sanitised; nothing is shown as JSON.
 */
export function labelledFields(
  record: Record<string, unknown>,
  width: number,
  indent = '',
): string[] {
  const lines: string[] = [];
  const room = Math.max(10, width - indent.length - 2);
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined || key === 'actions') continue;
    const label = `${indent}{bold}${esc(key)}:{/bold}`;
    if (isPlain(value)) {
      const text = String(value);
      if (!text.includes('\n') && key.length + 2 + text.length <= width - indent.length) {
        lines.push(`${label} ${esc(text)}`);
      } else lines.push(label, ...wrap(text, room).map((line) => `${indent}  ${esc(line)}`));
    } else if (Array.isArray(value)) {
      lines.push(label);
      for (const item of value) {
        wrap(itemText(item), room - 2).forEach((line, i) =>
          lines.push(`${indent}  ${i === 0 ? '- ' : '  '}${esc(line)}`),
        );
      }
    } else if (typeof value === 'object') {
      lines.push(label, ...labelledFields(value as Record<string, unknown>, width, `${indent}  `));
    }
  }
  return lines;
}
