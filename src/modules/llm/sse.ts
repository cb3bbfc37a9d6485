/**
 * Server-sent events: yields the `data` of each event of a byte stream (several `data:` lines of one
 * event are joined with "\n"). Comments and other fields are skipped. Stopping early cancels the
 * stream, which closes the connection.
 */
const MAX_PENDING_CHARS = 8 * 1024 * 1024;

export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let finished = false;
  try {
    while (!finished) {
      const chunk = await reader.read();
      finished = chunk.done;
      buffer += finished ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      for (;;) {
        const end = lineEnd(buffer, finished);
        if (end === null) break;
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end.length);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        if (field !== 'data') continue;
        const value = colon === -1 ? '' : line.slice(colon + 1);
        data.push(value.startsWith(' ') ? value.slice(1) : value);
      }
      if (buffer.length > MAX_PENDING_CHARS) {
        throw new Error(`event stream line longer than ${MAX_PENDING_CHARS} characters`);
      }
    }
    if (data.length > 0) yield data.join('\n');
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The next line break in `buffer` (CRLF, LF or CR); at the end of the stream the rest is a line. */
function lineEnd(buffer: string, finished: boolean): { index: number; length: number } | null {
  const lf = buffer.indexOf('\n');
  const cr = buffer.indexOf('\r');
  if (cr !== -1 && (lf === -1 || cr < lf)) {
    // a CR at the end of a chunk may be the first half of a CRLF
    if (cr + 1 === buffer.length && !finished) return null;
    return { index: cr, length: buffer[cr + 1] === '\n' ? 2 : 1 };
  }
  if (lf !== -1) return { index: lf, length: 1 };
  return finished && buffer.length > 0 ? { index: buffer.length, length: 0 } : null;
}
