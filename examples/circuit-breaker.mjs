// Direct use of CircuitBreaker: execute(), a fallback, the permit API, retries with a call time limit, events and metrics.
//   node examples/circuit-breaker.mjs
import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitBreaker, CircuitOpenError } from 'breakwater';

// A dependency that is down until we say otherwise.
let paymentsUp = false;
let paymentsBlips = 0; // transient errors still to come once it is up
let paymentsCalls = 0;
async function chargeCard(amount) {
  paymentsCalls += 1;
  if (!paymentsUp) throw new Error('payments answered 503');
  if (paymentsBlips > 0) {
    paymentsBlips -= 1;
    throw new Error('payments answered 503 (transient)');
  }
  return { charged: amount };
}

const breaker = new CircuitBreaker({
  name: 'payments',
  failureThreshold: 3, // three failures in a row open it
  successThreshold: 1, // one good probe closes it
  openTimeoutMs: 200, // first open wait; doubles per re-opening up to maxOpenTimeoutMs
  maxOpenTimeoutMs: 5_000,
});
breaker.on('stateChange', (e) => console.log(`state: ${e.from} -> ${e.to}`));

// 1. Failures open the breaker; then calls fail fast without reaching the dependency.
for (let i = 1; i <= 5; i++) {
  try {
    await breaker.execute(() => chargeCard(10));
  } catch (err) {
    if (err instanceof CircuitOpenError) {
      console.log(`call ${i}: rejected (${err.code}, breaker ${err.breakerName}, retry in ~${Math.ceil(err.retryAfterMs)} ms)`);
    } else {
      console.log(`call ${i}: failed (${err.message})`);
    }
  }
}
console.log(`payments was called ${paymentsCalls} times for 5 calls`);

// 2. A fallback answers instead of the error.
const answer = await breaker.execute(() => chargeCard(10), { fallback: () => ({ charged: 0, queued: true }) });
console.log(`with a fallback: ${JSON.stringify(answer)}`);

// 3. The permit API, for code that is not a single async function (streams, callbacks).
console.log(`permit while open: ${breaker.tryAcquire() === undefined ? 'refused' : 'granted'}`);
await sleep(250); // the open wait passes
paymentsUp = true;
console.log(`after the open wait: ${breaker.state}`);
const permit = breaker.tryAcquire();
console.log(`probe permit: ${permit ? 'granted' : 'refused'}`);
try {
  await chargeCard(10);
  permit.success();
} catch (err) {
  permit.failure(err);
}

// 4. Closed again: a call with retries and a time limit per attempt (the function gets an
//    AbortSignal to stop its work). The retries run inside the breaker: it sees one call.
paymentsBlips = 2;
const callsBefore = paymentsCalls;
const result = await breaker.execute(
  async (signal) => {
    signal?.throwIfAborted();
    return chargeCard(25);
  },
  { callTimeoutMs: 1_000, retry: { attempts: 3, baseDelayMs: 50 } },
);
console.log(`with a time limit: ${JSON.stringify(result)} after ${paymentsCalls - callsBefore} attempts, one call for the breaker`);

const m = breaker.metrics;
console.log(`metrics: ${JSON.stringify(m)}`);
console.log(`state: ${breaker.state}`);
