/* eslint-disable no-control-regex -- these patterns exist to find control characters */
/**
 * Control characters (C0 but tab, DEL, C1) and the Unicode line and paragraph separators, written
 * as escapes: a client's text inside a message can then never start a log line of its own or steer
 * the terminal that shows the log.
 */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

const escapeOne = (char: string): string =>
  NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One line of log text, whatever `text` holds. */
export const escapeLogText = (text: string): string => text.replace(CONTROL, escapeOne);

/**
 * A stack trace keeps its frame lines (`    at …`); every other line break, such as one inside the
 * error's message, is escaped like any message text.
 */
export const escapeStack = (stack: string): string =>
  stack
    .split(/\n(?=\s+at )/)
    .map(escapeLogText)
    .join('\n');
