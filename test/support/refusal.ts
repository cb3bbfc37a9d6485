import { AppError } from '#src/common/errors/app-error';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** The error `promise` rejects with; fails the test when it fulfils. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * The `AppError` (or error of class `type`) that `promise` rejects with; fails the test when it
 * fulfils, and rethrows an error of another class.
 */
export async function refusal<E = AppError>(
  promise: Promise<unknown>,
  type: ErrorClass<E> = AppError as unknown as ErrorClass<E>,
): Promise<E> {
  const error = await rejection(promise);
  if (error instanceof type) return error;
  throw error;
}

/** The error of class `type` that `fn` throws; fails the test when it returns. */
export function thrown<E>(fn: () => unknown, type: ErrorClass<E>): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error('expected it to throw');
}
