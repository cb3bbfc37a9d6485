/** A timestamp column as the protocol's ISO 8601 string; null stays null. */
export const iso = (date: Date | null): string | null =>
  date ? new Date(date).toISOString() : null;
