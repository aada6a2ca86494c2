// The two HTTP clients the hung-destination tests use ship no types; only what the tests call.
declare module 'needle' {
  function needle(method: string, url: string, data: unknown, options?: Record<string, unknown>): Promise<unknown>;
  export default needle;
}

declare module 'superagent' {
  interface Request extends Promise<unknown> {
    timeout(ms: number | { response?: number; deadline?: number }): Request;
  }
  const superagent: { get(url: string): Request };
  export default superagent;
}
