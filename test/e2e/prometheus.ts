/** A small client of Prometheus's HTTP API (v1), for the end-to-end test. */

export interface Series {
  metric: Record<string, string>;
  values?: Array<[number, string]>;
  value?: [number, string];
}

export class PrometheusApi {
  constructor(readonly base: string) {}

  async #get<T>(path: string, params: Record<string, string | string[]> = {}): Promise<T> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) url.searchParams.append(k, one);
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`${url.pathname}?${url.searchParams}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(new URL('/-/ready', this.base), { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  }

  targets(): Promise<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }> }> {
    return this.#get('/api/v1/targets');
  }

  /** Every series of `match` seen in the last `sinceSeconds`. */
  series(match: string, sinceSeconds = 600): Promise<Array<Record<string, string>>> {
    return this.#get('/api/v1/series', { 'match[]': match, start: String(Date.now() / 1000 - sinceSeconds) });
  }

  labelValues(label: string, match: string): Promise<string[]> {
    return this.#get(`/api/v1/label/${encodeURIComponent(label)}/values`, { 'match[]': match, start: String(Date.now() / 1000 - 600) });
  }

  async query(expr: string): Promise<Series[]> {
    const data = await this.#get<{ resultType: string; result: Series[] | [number, string] }>('/api/v1/query', { query: expr });
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as Series[];
  }

  async queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<Series[]> {
    const data = await this.#get<{ result: Series[] }>('/api/v1/query_range', {
      query: expr,
      start: String(startSeconds),
      end: String(endSeconds),
      step: String(stepSeconds),
    });
    return data.result;
  }

  rules(): Promise<{ groups: Array<{ name: string; rules: Array<{ name: string; type: string; health: string; lastError?: string; state?: string }> }> }> {
    return this.#get('/api/v1/rules');
  }

  alerts(): Promise<{ alerts: Array<{ labels: Record<string, string>; state: string; value: string }> }> {
    return this.#get('/api/v1/alerts');
  }
}

/** The samples of a query result that are numbers (not NaN or ±Inf). */
export function finiteSamples(result: Series[]): number[] {
  return result.flatMap((s) => [...(s.values ?? []), ...(s.value ? [s.value] : [])]).map(([, v]) => Number(v)).filter(Number.isFinite);
}
