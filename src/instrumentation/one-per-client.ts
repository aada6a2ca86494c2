import { ConfigError } from '../common/config-error.js';
import type { InstrumentedClient } from './types.js';

/*
 * Each client (http, fetch, grpc) is protected by at most one enabled BreakwaterInstrumentation.
 * The patches sit on shared prototypes and global slots; a second instrumentation on the same
 * client would either protect nothing or put every call through two breakers reported under the
 * same names. On globalThis, so that two copies of breakwater in one process see each other.
 */
const CLAIMS = Symbol.for('breakwater.clientClaims');

type Claims = Map<InstrumentedClient, object>;

function claims(): Claims {
  const holder = globalThis as { [CLAIMS]?: Claims };
  return (holder[CLAIMS] ??= new Map());
}

/**
 * Records `owner` as the one protecting `clients`.
 * @throws ConfigError naming `instrument` when another owner holds one of them.
 */
export function claimClients(owner: object, clients: ReadonlySet<InstrumentedClient>): void {
  const held = claims();
  const taken = [...clients].filter((c) => held.get(c) !== undefined && held.get(c) !== owner);
  if (taken.length > 0) {
    const list = taken.join(', ');
    throw new ConfigError(
      'BreakwaterInstrumentation',
      'instrument',
      `clients no other enabled BreakwaterInstrumentation protects (${list}: already protected by one in this process; disable it first, or leave ${list} out of instrument)`,
      [...clients],
    );
  }
  for (const c of clients) held.set(c, owner);
}

/** Frees what `owner` held. */
export function releaseClients(owner: object): void {
  const held = claims();
  for (const [client, holder] of held) if (holder === owner) held.delete(client);
}
