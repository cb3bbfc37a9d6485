import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { AppError, FieldError } from './app-error';

/** Flattens class-validator's nested errors into `{field, message}` pairs with dotted paths. */
export function toFieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    // class-validator's default messages start with the property name ("task must be …").
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith(`${error.property} `)
        ? message.slice(error.property.length + 1)
        : message,
    }));
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

/**
 * Deeper payloads and bodies are refused before any validator recurses into them: class-transformer
 * recurses once per level and a few thousand levels overflow the stack.
 */
export const MAX_PAYLOAD_DEPTH = 32;

/** True when objects and arrays in `value` nest deeper than `limit` levels (checked without recursion). */
export function nestsDeeperThan(value: object, limit: number): boolean {
  const stack: [object, number][] = [[value, 1]];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [node, depth] = entry;
    if (depth > limit) return true;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child as object, depth + 1]);
    }
  }
  return false;
}

export const STRICT_VALIDATION = { whitelist: true, forbidNonWhitelisted: true } as const;

/**
 * Turns an untrusted plain value into a validated DTO instance, or throws VALIDATION_FAILED naming
 * every bad field under `prefix` (e.g. `payload`). Used for WebSocket payloads, queue payloads and
 * anything else that does not pass through the HTTP ValidationPipe.
 */
export async function validateDto<T extends object>(
  dto: new () => T,
  value: unknown,
  prefix = '',
): Promise<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw AppError.validation([{ field: prefix || 'value', message: 'must be an object' }]);
  }
  const instance = plainToInstance(dto, value);
  const errors = await validate(instance, STRICT_VALIDATION);
  if (errors.length > 0) throw AppError.validation(toFieldErrors(errors, prefix));
  return instance;
}
