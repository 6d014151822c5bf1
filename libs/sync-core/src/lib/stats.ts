/**
 * Median of `values` (NaN for none). For an even count, `even` picks the mean of the two middle
 * values (the usual median, the default) or the upper one (always one of the values, as
 * SteppedReads compares look intervals with it).
 */
export function median(values: readonly number[], even: 'mean' | 'upper' = 'mean'): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1 || even === 'upper') return sorted[mid];
  return (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Appends `item` to a bounded log, dropping the oldest entries beyond `max`. */
export function pushBounded<T>(log: T[], item: T, max: number): void {
  log.push(item);
  if (log.length > max) log.splice(0, log.length - max);
}
