import { isWrapped } from '@opentelemetry/instrumentation';
import { describe, expect, it } from 'vitest';
import { isPatched, unwrap, wrap, type PatchState } from '../../src/instrumentation/wrap.js';

/** shimmer as InstrumentationBase uses it: unwraps whatever isWrapped() says is wrapped, then wraps. */
function otelStyleWrap(target: Record<string, unknown>, name: string, tag: string): void {
  const current = target[name] as ((...a: unknown[]) => unknown) & { __unwrap?: () => void };
  if (isWrapped(current)) current.__unwrap!();
  const original = target[name] as (...a: unknown[]) => unknown;
  const wrapped = Object.assign((...a: unknown[]) => `${tag}(${original(...a) as string})`, {
    __original: original,
    __wrapped: true,
    __unwrap: () => {
      if (target[name] === wrapped) target[name] = original;
    },
  });
  target[name] = wrapped;
}

describe('wrap / unwrap', () => {
  it('wraps, unwraps and is invisible to isWrapped (so OTel instrumentations never strip it)', () => {
    const target = { call: (x: string) => `call ${x}` };
    wrap(target, 'call', (original) => (x: string) => `bw(${original(x)})`);
    expect(target.call('a')).toBe('bw(call a)');
    expect(isWrapped(target.call)).toBe(false);
    expect(isPatched(target, 'call')).toBe(true);
    wrap(target, 'call', (original) => (x: string) => `twice(${original(x)})`); // no double wrap
    expect(target.call('a')).toBe('bw(call a)');
    unwrap(target, 'call');
    expect(target.call('a')).toBe('call a');
    expect(isPatched(target, 'call')).toBe(false);
  });

  it('coexists with an OTel-style wrapper in either order, through disable and enable', () => {
    // breakwater first, the other instrumentation on top
    const a: Record<string, unknown> = { call: () => 'x' };
    const bw = (original: () => string, patch: PatchState) => () => (patch.active ? `bw(${original()})` : original());
    wrap(a as { call: () => string }, 'call', bw);
    otelStyleWrap(a, 'call', 'otel');
    expect((a.call as () => string)()).toBe('otel(bw(x))');
    unwrap(a as { call: () => string }, 'call'); // theirs stays; ours passes through
    expect((a.call as () => string)()).toBe('otel(x)');
    wrap(a as { call: () => string }, 'call', bw); // re-enabled in place
    expect((a.call as () => string)()).toBe('otel(bw(x))');

    // the other instrumentation first, breakwater on top
    const b: Record<string, unknown> = { call: () => 'x' };
    otelStyleWrap(b, 'call', 'otel');
    wrap(b as { call: () => string }, 'call', bw);
    expect((b.call as () => string)()).toBe('bw(otel(x))');
    otelStyleWrap(b, 'call', 'otel'); // wrapping again on top does not strip breakwater
    expect((b.call as () => string)()).toBe('otel(bw(otel(x)))');
  });

  it('a method the target only inherited is inherited again after unwrap (a later patch of the parent still applies)', () => {
    const parent = { call: () => 'parent' };
    const child = Object.create(parent) as { call: () => string };
    wrap(child, 'call', (original) => () => `bw(${original()})`);
    expect(Object.hasOwn(child, 'call')).toBe(true);
    expect(child.call()).toBe('bw(parent)');
    unwrap(child, 'call');
    expect(Object.hasOwn(child, 'call')).toBe(false);
    parent.call = () => 'patched parent';
    expect(child.call()).toBe('patched parent');
  });

  it('keeps the original static properties and `this`', () => {
    const fn = Object.assign(function (this: { n: number }) { return this.n; }, { custom: 42 });
    const target = { n: 7, fn };
    wrap(target, 'fn', (original) => Object.assign(function (this: { n: number }) { return original.call(this) * 2; }, { custom: 0 }));
    expect(target.fn()).toBe(14);
    expect((target.fn as unknown as { custom: number }).custom).toBe(42);
    unwrap(target, 'fn');
    expect(target.fn).toBe(fn);
  });
});
