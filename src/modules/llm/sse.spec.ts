import { readSseData } from './sse';

function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function collect(pieces: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readSseData(streamOf(pieces))) out.push(data);
  return out;
}

describe('readSseData', () => {
  it('yields the data of each event, joining multi-line data', async () => {
    expect(await collect(['data: a\n\ndata: b\ndata: c\n\n'])).toEqual(['a', 'b\nc']);
  });

  it('handles LF, CRLF and CR line ends, also split across chunks', async () => {
    expect(await collect(['data: a\r', '\n\r', '\ndata: b\r\rdata:c\n', '\n'])).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('skips comments and other fields, and keeps the last event without a blank line', async () => {
    expect(await collect([': ping\n\nevent: x\nid: 1\ndata: a\n\ndata: tail'])).toEqual([
      'a',
      'tail',
    ]);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo 🚀\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const out: string[] = [];
    for await (const data of readSseData(stream)) out.push(data);
    expect(out).toEqual(['héllo 🚀']);
  });
});
