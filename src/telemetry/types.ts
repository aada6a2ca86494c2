import type { Meter } from '@opentelemetry/api';

/**
 * Something that exports metrics on a meter: it creates its instruments (and callbacks) on the
 * meter it is given and returns a function that removes them again. BreakwaterTelemetry calls it
 * once per meter, so a new MeterProvider never doubles a series. Health plugs in this way:
 * `telemetry.addSource((meter) => observeHealth(meter, manager))`.
 */
export type MetricSource = (meter: Meter) => StopObserving;

/** Removes the callbacks and listeners a MetricSource installed; safe to call twice. */
export type StopObserving = () => void;
