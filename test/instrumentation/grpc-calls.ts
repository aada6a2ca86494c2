/**
 * Starts one call of each gRPC call type on an Echo client and reports how it ended, so that the
 * tests can run the same scenario over unary, client-streaming, server-streaming and bidi calls.
 */
import type * as Grpc from '@grpc/grpc-js';
import type { EchoReply } from './grpc-test-server.js';

export type CallKind = 'unary' | 'clientStream' | 'serverStream' | 'bidi';
export const CALL_KINDS: CallKind[] = ['unary', 'clientStream', 'serverStream', 'bidi'];

export interface CallResult {
  /** The final status code (0 = OK). */
  code: number;
  /** The error the caller saw (callback argument or `error` event), if any. */
  error: (Grpc.ServiceError & { cause?: unknown }) | undefined;
  replies: EchoReply[];
}

export interface StartedCall {
  /** The grpc-js call object (`cancel()`, events). */
  call: { cancel(): void };
  /** Resolves once the call has ended and its status is known. */
  done: Promise<CallResult>;
  /** Resolves with the first reply (streaming responses) or when the call ends. */
  firstReply: Promise<void>;
}

type EchoClient = Grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export function startCall(
  kind: CallKind,
  client: Grpc.Client,
  options: Grpc.CallOptions = {},
  text = kind,
): StartedCall {
  const c = client as EchoClient;
  const replies: EchoReply[] = [];
  let error: CallResult['error'];
  let resolveFirst!: () => void;
  const firstReply = new Promise<void>((resolve) => (resolveFirst = resolve));

  if (kind === 'unary' || kind === 'clientStream') {
    let call!: Grpc.ClientUnaryCall & Partial<Grpc.ClientWritableStream<unknown>>;
    const done = new Promise<CallResult>((resolve) => {
      const callback = (err: Grpc.ServiceError | null, reply?: EchoReply): void => {
        error = err ?? undefined;
        if (reply) replies.push(reply);
        resolveFirst();
        resolve({ code: err ? err.code : 0, error, replies });
      };
      call =
        kind === 'unary'
          ? (c.Unary({ text }, options, callback) as typeof call)
          : (c.ClientStream(options, callback) as typeof call);
    });
    if (kind === 'clientStream') {
      call.write!({ text: `${text}-1` });
      call.write!({ text: `${text}-2` });
      call.end!();
    }
    return { call, done, firstReply };
  }

  const stream = (
    kind === 'serverStream' ? c.ServerStream({ text, count: 2 }, options) : c.Bidi(options)
  ) as Grpc.ClientDuplexStream<unknown, EchoReply>;
  const done = new Promise<CallResult>((resolve) => {
    stream.on('data', (reply: EchoReply) => {
      replies.push(reply);
      resolveFirst();
    });
    stream.on('error', (err: Grpc.ServiceError) => (error = err));
    stream.on('status', (status: Grpc.StatusObject) => {
      resolveFirst();
      resolve({ code: status.code, error, replies });
    });
  });
  if (kind === 'bidi') {
    stream.write({ text: `${text}-1` });
    stream.write({ text: `${text}-2` });
    stream.end();
  }
  return { call: stream, done, firstReply };
}

export function callOnce(kind: CallKind, client: Grpc.Client, options: Grpc.CallOptions = {}): Promise<CallResult> {
  return startCall(kind, client, options).done;
}
