/* eslint-disable no-control-regex -- these patterns exist to find control characters */
/**
 * Text from a server, a skill folder or a model, made safe to print on a terminal: every control
 * character but newline and tab is removed, and with it the whole escape sequence it starts (CSI
 * such as `ESC [ 2 J`, OSC such as `ESC ] 0 ; title BEL`, DCS/APC/PM/SOS strings, their 8-bit C1
 * forms), so that neither the sequence nor its leftover parameters reach the screen.
 */

/** OSC, DCS, SOS, PM and APC strings: up to their terminator (BEL or ST), or the end of the line. */
const STRING_SEQUENCE =
  /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)?/g;
/** CSI: parameter bytes, intermediate bytes, one final byte. */
const CONTROL_SEQUENCE = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
/** Any other escape: intermediate bytes and one final byte (`ESC c`, `ESC ( B`, `ESC 7`…). */
const OTHER_ESCAPE = /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
/** C0 but tab and newline, DEL, C1. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function terminalText(text: string): string {
  return text
    .replace(STRING_SEQUENCE, '')
    .replace(CONTROL_SEQUENCE, '')
    .replace(OTHER_ESCAPE, '')
    .replace(CONTROL, '');
}

/**
 * JSON for a terminal: JSON already escapes C0; DEL and C1 (which some terminals obey, even UTF-8
 * encoded) are written as `\u` escapes too, so the document parses to the same value.
 */
export function terminalJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
