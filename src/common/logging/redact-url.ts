/** `//user:password@` of a URL; the password runs to the word's last `@`, as it may hold one. */
const URL_CREDENTIALS = /\/\/([^\s:@/"'<>]*):([^\s/"'<>]+)@/g;
/** A `name:secret@` in one word, as a malformed URL may hold it (`postgres:/u:p@h`). */
const LOOSE_CREDENTIALS = /(^|[\s"'(<=,])([^\s:@"'<>]*):([^\s@"'<>]+)@/g;

/**
 * Replaces the password of every URL in `text` with `***`, malformed URLs included (there the whole
 * `user:password` before the `@` may go). Applied to configuration errors and to every log message.
 */
export function redactUrlPasswords(text: string): string {
  return text
    .replace(URL_CREDENTIALS, '//$1:***@')
    .replace(LOOSE_CREDENTIALS, (match, before: string, name: string, secret: string) => {
      if (secret.endsWith(':***')) return match;
      return secret.startsWith('//') ? `${before}${name}://***@` : `${before}${name}:***@`;
    });
}
