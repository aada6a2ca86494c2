/** Promise helpers around node:http(s) calls for the tests: they never add behaviour of their own. */
import type http from 'node:http';

export interface CallResult {
  status: number;
  body: string;
}

/** Resolves with the response (body read to the end) or rejects with the request's error. */
export function settle(req: http.ClientRequest): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
  });
}

/** Resolves with the error the request emits (rejects if it gets a response instead). */
export function errorOf(req: http.ClientRequest): Promise<NodeJS.ErrnoException> {
  return settle(req).then(
    (r) => {
      throw new Error(`expected an error, got HTTP ${r.status}`);
    },
    (err: NodeJS.ErrnoException) => err,
  );
}

/** Resolves once the request emitted 'close'. */
export function closed(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => (req.closed ? resolve() : req.once('close', () => resolve())));
}
