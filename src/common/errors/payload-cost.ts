import { AppError } from './app-error';

/**
 * What one parameter object may cost before any validator walks it. class-validator and
 * class-transformer spend time per key (and the strict whitelist builds an error per unknown key), so
 * a frame of tens of thousands of small keys is cheap to send and dear to refuse. These bounds are
 * checked in one iterative pass that stops at the first excess.
 */
export interface PayloadCostLimits {
  /** Keys and array elements counted over the whole object, at every level. */
  maxEntries: number;
  /** Keys of any one object. */
  maxKeysPerObject: number;
  /** Characters of any one string value. */
  maxStringLength: number;
  /** Characters of any one key. */
  maxKeyLength: number;
}

export const PAYLOAD_COST_LIMITS: PayloadCostLimits = {
  maxEntries: 10_000,
  maxKeysPerObject: 1_000,
  // The largest text a method takes is a draft's content (512 KiB).
  maxStringLength: 512 * 1024,
  maxKeyLength: 200,
};

/** The first limit `value` passes, as a short sentence that quotes nothing of the input; or null. */
export function payloadCostExcess(
  value: object,
  limits: PayloadCostLimits = PAYLOAD_COST_LIMITS,
): string | null {
  let entries = 0;
  const stack: object[] = [value];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const isArray = Array.isArray(node);
    const keys = isArray ? null : Object.keys(node);
    const size = isArray ? (node as unknown[]).length : keys!.length;
    if (!isArray && size > limits.maxKeysPerObject) {
      return `has an object of more than ${limits.maxKeysPerObject} keys`;
    }
    entries += size;
    if (entries > limits.maxEntries) {
      return `has more than ${limits.maxEntries} keys and array elements in total`;
    }
    for (let i = 0; i < size; i++) {
      let child: unknown;
      if (keys) {
        const key = keys[i];
        if (key.length > limits.maxKeyLength) {
          return `has a key longer than ${limits.maxKeyLength} characters`;
        }
        child = (node as Record<string, unknown>)[key];
      } else {
        child = (node as unknown[])[i];
      }
      if (typeof child === 'string') {
        if (child.length > limits.maxStringLength) {
          return `has a string longer than ${limits.maxStringLength} characters`;
        }
      } else if (child !== null && typeof child === 'object') {
        stack.push(child);
      }
    }
  }
  return null;
}

/** Throws VALIDATION_FAILED naming `field` when `value` costs more than the limits allow. */
export function assertPayloadCost(
  value: object,
  field: string,
  limits: PayloadCostLimits = PAYLOAD_COST_LIMITS,
): void {
  const excess = payloadCostExcess(value, limits);
  if (excess !== null) throw AppError.validation([{ field, message: excess }]);
}
