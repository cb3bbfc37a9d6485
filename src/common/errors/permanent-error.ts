/**
 * Fails the job at once, with this code, without retries. The engine treats every other error a
 * step throws as retryable; anything below the engine (a port, a workflow) throws this to stop it.
 */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly code = 'PERMANENT_ERROR',
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}
