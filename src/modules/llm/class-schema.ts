import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { JsonSchemaSpec } from './llm-provider';

/**
 * A `JsonSchemaSpec` whose `parse` is a class-validator class: the JSON Schema goes to the server,
 * the decorators check the reply. Properties without decorators are dropped (`whitelist`).
 *
 *   class Requirements { @IsString() @MaxLength(64) name!: string; … }
 *   const spec = classSchema('requirements', { type: 'object', … }, Requirements);
 */
export function classSchema<T extends object>(
  name: string,
  schema: Record<string, unknown>,
  cls: ClassConstructor<T>,
): JsonSchemaSpec<T> {
  return {
    name,
    schema,
    parse(value: unknown): T {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
        throw new Error(`expected a JSON object, got ${got}`);
      }
      const instance = plainToInstance(cls, value);
      const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
      if (errors.length > 0) throw new Error(describeErrors(errors).join('; '));
      return instance;
    },
  };
}

/** class-validator's messages, nested ones prefixed with their path (`plan.outline must …`). */
function describeErrors(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => `${prefix}${message}`),
    ...describeErrors(error.children ?? [], `${prefix}${error.property}.`),
  ]);
}
