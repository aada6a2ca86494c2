import type { InstrumentedClient } from '../instrumentation/types.js';

export const ALL_CLIENTS: readonly InstrumentedClient[] = ['http', 'fetch', 'grpc'];

/**
 * Series per breaker in the worst case, per metric: `circuit_breaker.transitions` can hold all
 * 6 from→to pairs of the 3 states (the others hold at most 3).
 */
export const MAX_SERIES_PER_BREAKER = 6;

/** The OTel SDK's default cardinality limit per metric; one slot is its overflow series. */
export const SDK_CARDINALITY_LIMIT = 2000;

/**
 * Default cap on auto-created breakers. Telemetry reports them together with `defaultRegistry`
 * (capped at DEFAULT_REGISTRY_MAX_BREAKERS = 64): 6 × (250 + 64) = 1884 series, inside the SDK's
 * 2000 per metric. More breakers than that need `breakwaterViews()`.
 */
export const DEFAULT_MAX_BREAKERS = 250;

/**
 * `slowCallDurationMs` of auto-created breakers: response headers that take longer count as a
 * failure, and so do requests still waiting for them (a destination that hangs opens its breaker
 * even when callers set no timeout). Long enough for slow but working endpoints; long-polling ones
 * that hold their headers longer need it raised for their destination.
 */
export const DEFAULT_SLOW_CALL_MS = 30_000;
