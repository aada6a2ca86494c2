import { createHash } from 'node:crypto';

/**
 * The longest label value (and destination breaker name) breakwater exports, in UTF-16 code units.
 * Destinations can be chosen by whoever controls a URL the application fetches; unbounded, one
 * 64 KB host name makes every series of its breaker 64 KB long.
 */
export const MAX_LABEL_LENGTH = 256;

const HASH_LENGTH = 24; // hex digits of SHA-256: 96 bits
const PREFIX_LENGTH = MAX_LABEL_LENGTH - HASH_LENGTH - 1;

/**
 * `value` itself when shorter than MAX_LABEL_LENGTH; otherwise exactly MAX_LABEL_LENGTH long: its
 * first 231 code units, `~` and hex digits of the SHA-256 of the whole value (24, or 25 when the
 * cut moved back off a surrogate pair). Only shortened values reach the full length, so a
 * shortened value never equals a kept one, and two long values meet only if their hashes do.
 */
export function boundedLabel(value: string): string {
  if (value.length < MAX_LABEL_LENGTH) return value;
  let end = PREFIX_LENGTH;
  // Never cut between the two halves of a surrogate pair: the prefix stays valid UTF-16.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, HASH_LENGTH + PREFIX_LENGTH - end);
  return `${value.slice(0, end)}~${hash}`;
}
