import { OptionChecker } from '../common/option-checker.js';

/** Default HTTP statuses that count as a failure of the destination. */
export const DEFAULT_HTTP_FAILURE_STATUS = '408,429,500-599';

/**
 * Turns `'408,429,500-599'` (or `[408, 429, 503]`) into a lookup table: the hot path asks
 * `table[status] === 1` instead of walking ranges on every response.
 */
export function parseHttpFailureStatus(
  spec: string | readonly number[],
  check = new OptionChecker('BreakwaterInstrumentation'),
  option = 'httpFailureStatus',
): Uint8Array {
  const table = new Uint8Array(600);
  const parts: string[] = typeof spec === 'string' ? spec.split(',') : Array.isArray(spec) ? spec.map(String) : [];
  if (typeof spec !== 'string' && !Array.isArray(spec)) {
    throw check.error(option, "a list like '408,429,500-599' or an array of status codes", spec);
  }
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(part);
    const from = range ? Number(range[1]) : Number(part);
    const to = range ? Number(range[2]) : from;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 100 || to > 599 || from > to) {
      throw check.error(option, "HTTP statuses (100-599) or ranges like '500-599', comma separated", spec);
    }
    table.fill(1, from, to + 1);
  }
  return table;
}
