/**
 * Parses an HTTP `Retry-After` header (RFC 9110 §10.2.3) into a wait in milliseconds.
 * Shared by the node:http and fetch/undici patches: a 429 or 503 carrying it tells the breaker how
 * long the server asked to be left alone.
 */

/** Longest wait a header may ask for (a day): anything longer is a misconfigured server, not advice. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * `value` is the header as Node or fetch hands it over (a string, a list of repeated headers, or
 * absent). Accepts delay-seconds (`"120"`) and an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`),
 * measured from `nowMs`. Returns undefined when the header is absent or unparseable, 0 for a date
 * in the past, and at most MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(
  value: string | readonly string[] | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // Date.parse accepts far more than IMF-fixdate; a header that merely contains digits and
    // words must not become a wait, so require the weekday-comma shape of the three HTTP formats
    // (IMF-fixdate, RFC 850, asctime) before trusting it.
    if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
