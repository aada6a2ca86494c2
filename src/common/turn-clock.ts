/**
 * Date.now(), read at most once per event-loop turn: the time every success records
 * (`metrics.lastSuccessTime`). A clock read is most of what a breaker's success path costs (about
 * 35 ns of its 55 ns here, bench: breaker), while the time of the last success needs no finer
 * grain than the turn it happened in. The cached reading is dropped on setImmediate, which runs
 * after the turn's I/O callbacks and before the loop waits again (so it is not unref()ed: an
 * unref()ed one may run only after a long wait, leaving a stale reading for the next callback).
 */
let reading = NaN;
// The event loop's own setImmediate, taken at load: the reading follows the real turns even where
// tests fake the timers (a faked one would count as a pending timer and never run by itself).
const onNextTurn = setImmediate;

function forget(): void {
  reading = NaN;
}

export function turnNow(): number {
  if (reading !== reading) {
    reading = Date.now();
    onNextTurn(forget);
  }
  return reading;
}
