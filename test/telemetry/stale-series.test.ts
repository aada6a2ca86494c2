import { describe, expect, it } from 'vitest';
import { dropUnobservedSeries, pruningMeter } from '../../src/telemetry/stale-series.js';
import { collect, meterProvider, pointsOf } from './metrics-harness.js';

describe('stale series (opentelemetry-js#4096 workaround)', () => {
  it('recognises the installed SDK (if this fails, the SDK changed: check whether it still keeps stale series)', () => {
    const { provider } = meterProvider();
    const meter = provider.getMeter('breakwater');
    expect(dropUnobservedSeries(meter.createObservableGauge('g'))).toBe(true);
    expect(dropUnobservedSeries({})).toBe(false);
    expect(dropUnobservedSeries(undefined)).toBe(false);
  });

  it('a plain meter keeps a series it no longer observes; a pruning meter drops it', async () => {
    const run = async (prune: boolean) => {
      const { provider, reader } = meterProvider();
      const meter = prune ? pruningMeter(provider.getMeter('x')) : provider.getMeter('x');
      const gauge = meter.createObservableGauge('items');
      let names = ['a', 'b'];
      gauge.addCallback((r) => names.forEach((n) => r.observe(1, { n })));
      await collect(reader);
      names = ['b'];
      const points = pointsOf(await collect(reader), 'items').map((p) => p.attributes.n);
      await provider.shutdown();
      return points;
    };
    expect(await run(false)).toEqual(['a', 'b']); // the SDK bug this works around
    expect(await run(true)).toEqual(['b']);
  });

  it('keeps synchronous instruments untouched', async () => {
    const { provider, reader } = meterProvider();
    const counter = pruningMeter(provider.getMeter('x')).createCounter('c');
    counter.add(1, { k: 'a' });
    await collect(reader);
    counter.add(1, { k: 'b' });
    expect(pointsOf(await collect(reader), 'c').map((p) => p.attributes.k)).toEqual(['a', 'b']);
    await provider.shutdown();
  });
});
