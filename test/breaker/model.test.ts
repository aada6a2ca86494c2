import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { CircuitOpenError } from '../../src/breaker/errors.js';
import type { CircuitState, Permit } from '../../src/breaker/types.js';
import { ManualClock } from './helpers.js';

/**
 * A deliberately naive reference model of DESIGN.md's state machine: every permit remembers the
 * "epoch" it was handed out in, and only permits of the current epoch move the state.
 */
interface Config {
  policy: 'consecutive' | 'rate';
  failureThreshold: number;
  rate: number;
  windowSize: number;
  minCalls: number;
  successThreshold: number;
  halfOpenMaxCalls: number;
  /** Every probe slot taken and no probe admitted for this long: the probes count as a failure. */
  halfOpenTimeoutMs: number;
  openTimeoutMs: number;
  maxOpenTimeoutMs: number;
  backoffMultiplier: number;
  shadow: boolean;
  /** Subscribe a success listener, which switches execute() to its timed path. */
  timed: boolean;
}

class Model {
  state: CircuitState = 'closed';
  epoch = 0;
  openUntil = 0;
  openings = 0;
  forced = false;
  probes = 0;
  probeOk = 0;
  lastProbeAt = 0;
  window: boolean[] = [];
  consecutive = 0;
  total = 0;
  ok = 0;
  failed = 0;
  ignored = 0;
  rejected = 0;

  constructor(
    readonly c: Config,
    readonly clock: ManualClock,
  ) {}

  observe(): CircuitState {
    if (this.state === 'open' && !this.forced && this.clock.t >= this.openUntil) this.move('half_open');
    else if (this.state === 'half_open' && this.probes >= this.c.halfOpenMaxCalls && this.clock.t - this.lastProbeAt >= this.c.halfOpenTimeoutMs) {
      this.openings++;
      this.move('open');
    }
    return this.state;
  }

  move(to: CircuitState, retryAfter = 0): void {
    this.state = to;
    this.epoch++;
    this.probes = 0;
    this.probeOk = 0;
    this.window = [];
    this.consecutive = 0;
    if (to === 'open') {
      const wait = Math.min(this.c.openTimeoutMs * this.c.backoffMultiplier ** (this.openings - 1), this.c.maxOpenTimeoutMs);
      this.openUntil = this.clock.t + Math.max(wait, Math.min(retryAfter, Math.max(this.c.maxOpenTimeoutMs, wait)));
    }
    if (to === 'closed') this.openings = 0;
  }

  /** 'reject' | { epoch } | 'shadow' */
  acquire(): { epoch: number } | 'shadow' | 'reject' {
    this.total++;
    const s = this.observe();
    if (s === 'closed') return { epoch: this.epoch };
    if (s === 'half_open' && this.probes < this.c.halfOpenMaxCalls) {
      this.probes++;
      this.lastProbeAt = this.clock.t;
      return { epoch: this.epoch };
    }
    this.rejected++;
    return this.c.shadow ? 'shadow' : 'reject';
  }

  settle(ticket: { epoch: number } | 'shadow', outcome: 'success' | 'failure' | 'ignore', retryAfter: number): void {
    if (ticket === 'shadow') return;
    if (outcome === 'success') this.ok++;
    else if (outcome === 'failure') this.failed++;
    else this.ignored++;
    if (ticket.epoch !== this.epoch || outcome === 'ignore') {
      if (ticket.epoch === this.epoch && this.state === 'half_open') this.probes--;
      return;
    }
    if (this.state === 'closed') {
      if (this.trips(outcome === 'failure')) {
        this.openings++;
        this.move('open', retryAfter);
      }
    } else if (this.state === 'half_open') {
      this.probes--;
      if (outcome === 'failure') {
        this.openings++;
        this.move('open', retryAfter);
      } else if (++this.probeOk >= this.c.successThreshold) {
        this.move('closed');
      }
    }
  }

  trips(failed: boolean): boolean {
    if (this.c.policy === 'consecutive') {
      this.consecutive = failed ? this.consecutive + 1 : 0;
      return failed && this.consecutive >= this.c.failureThreshold;
    }
    this.window.push(failed);
    if (this.window.length > this.c.windowSize) this.window.shift();
    const failures = this.window.filter(Boolean).length;
    return failed && this.window.length >= this.c.minCalls && failures * 100 >= this.c.rate * this.window.length;
  }

  retryAfterMs(): number {
    if (this.observe() !== 'open') return 0;
    return this.forced ? Infinity : Math.max(0, this.openUntil - this.clock.t);
  }
}

function permitCall(permit: Permit, ticket: { epoch: number } | 'shadow'): Call {
  return {
    ticket,
    takesRetryAfter: true,
    async settle(outcome, retryAfter) {
      if (outcome === 'success') permit.success();
      else if (outcome === 'failure') permit.failure(new Error('f'), retryAfter || undefined);
      else permit.ignore();
      permit.failure(new Error('again')); // a second settle is a no-op
    },
  };
}

type Command =
  | { kind: 'acquire'; via: 'permit' | 'execute' }
  | { kind: 'settle'; index: number; outcome: 'success' | 'failure' | 'ignore'; retryAfter: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'waitOut' }
  | { kind: 'forceOpen' }
  | { kind: 'reset' };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('acquire' as const), via: fc.constantFrom('permit' as const, 'execute' as const) }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      index: fc.nat(),
      outcome: fc.constantFrom('success' as const, 'failure' as const, 'ignore' as const),
      retryAfter: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'waitOut' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'forceOpen' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

const config: fc.Arbitrary<Config> = fc
  .record({
    policy: fc.constantFrom('consecutive' as const, 'rate' as const),
    failureThreshold: fc.integer({ min: 1, max: 4 }),
    rate: fc.integer({ min: 1, max: 100 }),
    windowSize: fc.integer({ min: 1, max: 8 }),
    minCalls: fc.integer({ min: 1, max: 8 }),
    successThreshold: fc.integer({ min: 1, max: 3 }),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
    halfOpenTimeoutMs: fc.integer({ min: 1, max: 20_000 }),
    openTimeoutMs: fc.integer({ min: 1, max: 1_000 }),
    maxExtra: fc.integer({ min: 0, max: 4_000 }),
    backoffMultiplier: fc.constantFrom(1, 1.5, 2, 3),
    shadow: fc.boolean(),
    timed: fc.boolean(),
  })
  .map(({ maxExtra, minCalls, windowSize, ...rest }) => ({
    ...rest,
    windowSize,
    minCalls: Math.min(minCalls, windowSize),
    maxOpenTimeoutMs: rest.openTimeoutMs + maxExtra,
  }));

/** A call in flight: a permit, or an execute() whose function waits for the test to settle it. */
interface Call {
  ticket: { epoch: number } | 'shadow';
  /** Only permits can pass a server's Retry-After. */
  takesRetryAfter: boolean;
  settle(outcome: 'success' | 'failure' | 'ignore', retryAfter: number): Promise<void>;
}

const IGNORE_ME = new Error('ignore me');

describe('model-based: breaker vs reference model', () => {
  it('agrees on state, wait, counters and in-flight calls for random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(command, { minLength: 10, maxLength: 150, size: 'max' }), async (c, commands) => {
        const clock = new ManualClock();
        const model = new Model(c, clock);
        const breaker = new CircuitBreaker({
          name: 'model',
          clock,
          successThreshold: c.successThreshold,
          halfOpenMaxCalls: c.halfOpenMaxCalls,
          halfOpenTimeoutMs: c.halfOpenTimeoutMs,
          openTimeoutMs: c.openTimeoutMs,
          maxOpenTimeoutMs: c.maxOpenTimeoutMs,
          backoffMultiplier: c.backoffMultiplier,
          shadow: c.shadow,
          isFailure: (err) => err !== IGNORE_ME,
          ...(c.policy === 'consecutive'
            ? { failureThreshold: c.failureThreshold }
            : { failureRateThreshold: c.rate, slidingWindowSize: c.windowSize, minimumNumberOfCalls: c.minCalls }),
        });
        if (c.timed) breaker.on('success', () => undefined);
        const open: Call[] = [];

        for (const cmd of commands) {
          switch (cmd.kind) {
            case 'acquire': {
              const ticket = model.acquire();
              if (cmd.via === 'permit') {
                const permit = breaker.tryAcquire();
                expect(permit === undefined).toBe(ticket === 'reject');
                if (permit !== undefined && ticket !== 'reject') open.push(permitCall(permit, ticket));
              } else {
                let reached = false;
                let finish!: (outcome: 'success' | 'failure' | 'ignore') => void;
                const done = breaker
                  .execute(
                    () =>
                      new Promise<string>((resolve, reject) => {
                        reached = true;
                        finish = (o) => (o === 'success' ? resolve('ok') : reject(o === 'ignore' ? IGNORE_ME : new Error('f')));
                      }),
                  )
                  .then(
                    () => 'settled',
                    (err: unknown) => err,
                  );
                expect(reached).toBe(ticket !== 'reject');
                if (ticket !== 'reject') {
                  open.push({
                    ticket,
                    takesRetryAfter: false,
                    async settle(outcome) {
                      finish(outcome);
                      await done;
                    },
                  });
                } else {
                  expect(await done).toBeInstanceOf(CircuitOpenError);
                }
              }
              break;
            }
            case 'settle': {
              if (open.length === 0) break;
              // mostly one of the newest permits (the probes), sometimes any
              const i = cmd.index % 2 === 0 ? open.length - 1 - ((cmd.index >> 1) % Math.min(3, open.length)) : cmd.index % open.length;
              const [call] = open.splice(i, 1) as [Call];
              model.settle(call.ticket, cmd.outcome, call.takesRetryAfter ? cmd.retryAfter : 0);
              await call.settle(cmd.outcome, cmd.retryAfter);
              break;
            }
            case 'tick':
              clock.advance(cmd.ms);
              break;
            case 'waitOut': {
              // to the end of the open wait, where the half-open interesting cases live
              const left = model.retryAfterMs();
              if (Number.isFinite(left)) clock.advance(left);
              break;
            }
            case 'forceOpen':
              model.forced = true;
              if (model.state !== 'open') model.move('open');
              breaker.forceOpen();
              break;
            case 'reset':
              model.forced = false;
              model.openings = 0;
              model.move('closed');
              breaker.reset();
              break;
          }
          expect(breaker.state).toBe(model.observe());
          expect(breaker.retryAfterMs()).toBe(model.retryAfterMs());
          expect(breaker.toJSON().openings).toBe(model.openings);
          const m = breaker.metrics;
          expect([m.totalCalls, m.successfulCalls, m.failedCalls, m.ignoredCalls, m.rejectedCalls]).toEqual([
            model.total,
            model.ok,
            model.failed,
            model.ignored,
            model.rejected,
          ]);
          expect(breaker.inFlight).toBe(open.length);
          // the invariant, with unsettled permits (shadow ones are already counted as rejected)
          const unsettled = open.filter((p) => p.ticket !== 'shadow').length;
          expect(m.totalCalls).toBe(m.successfulCalls + m.failedCalls + m.ignoredCalls + m.rejectedCalls + unsettled);
        }
        for (const call of open) await call.settle('success', 0);
        const m = breaker.metrics;
        expect(breaker.inFlight).toBe(0);
        expect(m.totalCalls).toBe(m.successfulCalls + m.failedCalls + m.ignoredCalls + m.rejectedCalls);
      }),
      { numRuns: 400 },
    );
  });
});
