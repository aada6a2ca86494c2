import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientContext } from './client-context.js';
import { resolveFetchRetry, type ResolvedFetchRetry } from './undici-request.js';
import { protectDispatcher, unprotectedDispatcher, type ProtectionSettings } from './undici-dispatcher.js';
import { unwrap, wrap } from './wrap.js';

/*
 * Where global fetch and undici are intercepted, and why there.
 *
 * Every request made by Node's global `fetch` and by the `undici` package (`request`, `fetch`,
 * `stream`, `pipeline`, `connect`, WebSocket, EventSource) that does not name its own dispatcher
 * goes to the *global dispatcher*, which undici keeps on `globalThis` under a registered symbol,
 * read afresh on every request:
 *
 * - `Symbol.for('undici.globalDispatcher.1')`: the legacy slot (handler contract onConnect/onHeaders/
 *   …). Node's bundled undici reads it for global fetch: undici 6 on Node 22, undici 7 on Node 24
 *   (7.29 also writes the agent to the `.2` slot). The `undici` package up to 7 reads and writes it.
 * - `Symbol.for('undici.globalDispatcher.2')`: undici 8's slot (onRequestStart/onResponseStart/…).
 *   undici 8's setGlobalDispatcher() writes it and mirrors the dispatcher into the `.1` slot inside
 *   a Dispatcher1Wrapper, so Node's fetch keeps working.
 *
 * Breakwater puts a protected view of the dispatcher (undici-dispatcher.ts) into each slot. That
 * reaches what wrapping `globalThis.fetch` cannot: references to `fetch` taken before enable, the
 * undici package's own APIs, and Node's internal users of fetch; and it sees the request after
 * fetch has resolved the URL and followed redirects, so each hop has its own breaker outcome.
 * Rejection happens before the real dispatcher is called, so no connection is opened or taken.
 *
 * The slots are non-configurable data properties (undici defines them so), so no accessor can
 * catch a later `setGlobalDispatcher(new ProxyAgent(…))`. Breakwater re-protects whatever the
 * application put there, keeping the application's dispatcher working behind the view:
 * - on every call of the global `fetch`, which breakwater wraps only for this check, so global
 *   fetch is protected from the very first call after the swap;
 * - on `undici:request:create` (published by every undici copy for every request), which covers
 *   the undici package's APIs and captured `fetch` references from the next request on — the one
 *   request that revealed the swap has already gone to the new dispatcher unprotected.
 * Diagnostics channels cannot fail a request (a throwing subscriber becomes an uncaught exception),
 * which is why they only serve as this trigger and not as the interception point.
 *
 * A `dispatcher` passed to the global `fetch` itself (`fetch(url, { dispatcher })`) gets a
 * protected view too, from the same wrapper. One handed straight to the undici package's APIs
 * (`undici.request(url, { dispatcher })`, `client.request()`) does not: it never meets breakwater.
 *
 * disable() puts each slot's own dispatcher back (the application's, if it swapped one in).
 */

const SLOTS = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')] as const;
const REQUEST_CREATE = 'undici:request:create';

type Slots = Record<symbol, unknown>;

/**
 * What the global fetch wrapper runs before each call. wrap() installs the wrapper once and re-uses
 * it when enabled again, so the wrapper asks whichever patch is enabled now instead of keeping the
 * one it was made by; with none enabled (undefined) it passes calls straight through.
 */
let beforeFetch: ((init: RequestInit | undefined) => RequestInit | undefined) | undefined;

function globalFetchWrapper(original: typeof globalThis.fetch): typeof globalThis.fetch {
  return function fetch(this: unknown, input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) {
    return original.call(this, input, beforeFetch === undefined ? init : beforeFetch(init));
  } as typeof globalThis.fetch;
}

export interface FetchPatch {
  enable(): void;
  disable(): void;
}

export function createFetchPatch(ctx: ClientContext): FetchPatch {
  let enabled = false;
  let lastRetryOptions: ClientContext['retry'];
  let resolvedRetry: ResolvedFetchRetry | undefined;
  const settings: ProtectionSettings = {
    ctx,
    retry() {
      const current = ctx.retry;
      if (current !== lastRetryOptions) {
        lastRetryOptions = current;
        resolvedRetry = resolveFetchRetry(current);
      }
      return resolvedRetry;
    },
  };
  // One view per dispatcher, so the `.1` and `.2` slots holding the same agent (Node 24) share it.
  let views = new WeakMap<object, object>();
  const seen: unknown[] = [undefined, undefined];

  const protectSlots = (): void => {
    const slots = globalThis as unknown as Slots;
    for (let i = 0; i < SLOTS.length; i++) {
      const slot = SLOTS[i]!;
      const current = slots[slot];
      if (current === seen[i]) continue;
      if (typeof current === 'object' && current !== null && unprotectedDispatcher(current) === undefined) {
        const view = viewOf(current);
        try {
          slots[slot] = view;
        } catch (err) {
          ctx.diag.warn('breakwater: cannot replace the global undici dispatcher; fetch goes unprotected', err);
          seen[i] = current;
          continue;
        }
        seen[i] = view;
      } else {
        seen[i] = current;
      }
    }
  };

  const viewOf = (dispatcher: object): object => {
    if (unprotectedDispatcher(dispatcher) !== undefined) return dispatcher;
    let view = views.get(dispatcher);
    if (view === undefined) {
      view = protectDispatcher(dispatcher, settings);
      views.set(dispatcher, view);
    }
    return view;
  };

  // `fetch(url, { dispatcher })` bypasses the global dispatcher: protect the caller's one as well.
  const withProtectedDispatcher = (init: RequestInit, dispatcher: object): RequestInit => {
    try {
      return { ...init, dispatcher: viewOf(dispatcher) } as RequestInit;
    } catch (err) {
      ctx.diag.error('breakwater: could not protect the dispatcher passed to fetch', err);
      return init;
    }
  };

  const checkFetch = (init: RequestInit | undefined): RequestInit | undefined => {
    const slots = globalThis as unknown as Slots;
    if (slots[SLOTS[0]] !== seen[0] || slots[SLOTS[1]] !== seen[1]) onRequestCreate();
    const own = (init as { dispatcher?: unknown } | undefined)?.dispatcher;
    return typeof own === 'object' && own !== null ? withProtectedDispatcher(init!, own) : init;
  };

  const onRequestCreate = (): void => {
    const slots = globalThis as unknown as Slots;
    if (slots[SLOTS[0]] === seen[0] && slots[SLOTS[1]] === seen[1]) return;
    try {
      protectSlots();
      ctx.diag.debug('breakwater: the global undici dispatcher was replaced; protecting the new one');
    } catch (err) {
      ctx.diag.error('breakwater: could not protect a new global undici dispatcher', err);
    }
  };

  return {
    enable() {
      if (enabled) return;
      enabled = true;
      try {
        // Node creates its bundled global dispatcher lazily, when undici's module first loads. Reading
        // the lazy `Headers` global loads that module (and with it the dispatcher) without a request.
        void (globalThis as { Headers?: unknown }).Headers;
        protectSlots();
        diagnosticsChannel.subscribe(REQUEST_CREATE, onRequestCreate);
        beforeFetch = checkFetch;
        if (typeof globalThis.fetch === 'function') wrap(globalThis, 'fetch', globalFetchWrapper);
      } catch (err) {
        ctx.diag.error('breakwater: could not enable fetch/undici protection', err);
      }
    },

    disable() {
      if (!enabled) return;
      enabled = false;
      try {
        diagnosticsChannel.unsubscribe(REQUEST_CREATE, onRequestCreate);
        if (beforeFetch === checkFetch) beforeFetch = undefined;
        unwrap(globalThis, 'fetch');
        const slots = globalThis as unknown as Slots;
        for (const slot of SLOTS) {
          const inner = unprotectedDispatcher(slots[slot]);
          if (inner !== undefined && views.get(inner) === slots[slot]) slots[slot] = inner;
        }
      } catch (err) {
        ctx.diag.error('breakwater: could not disable fetch/undici protection', err);
      }
      views = new WeakMap();
      seen[0] = seen[1] = undefined;
    },
  };
}
