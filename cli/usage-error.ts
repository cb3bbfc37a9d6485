/** A mistake in how the command was called or configured: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--url`: a WebSocket address, e.g. ws://127.0.0.1:3000/ws. */
export function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--url must be a WebSocket address such as ws://host:3000/ws, not "${value}"`,
    );
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`--url must start with ws:// or wss:// (got "${value}")`);
  }
  return value;
}
