import { readFileSync } from 'node:fs';

/** One PromQL query of one dashboard panel. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

interface Target {
  expr?: string;
  refId?: string;
  instant?: boolean;
  range?: boolean;
  hide?: boolean;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
}

export function readDashboard(path: string): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel except rows, including panels nested in collapsed rows. */
export function dataPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      if (p.type === 'row') walk(p.panels ?? []);
      else out.push(p);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Every visible query of every panel, as written in the JSON (template variables unresolved). */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return dataPanels(dashboard).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => !t.hide && typeof t.expr === 'string')
      .map((t) => ({ panel: p.title, refId: t.refId ?? '?', expr: t.expr as string, instant: t.instant === true && t.range !== true })),
  );
}

/** The template variables a query uses: `$name`, `${name}`, `[[name]]`, Grafana's `$__…` included. */
export function variablesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)) names.add(m[1] ?? m[2] ?? m[3]);
  return [...names];
}

/**
 * Resolves template variables the way Grafana would before sending the query to Prometheus.
 * Unknown variables are left as they are, so a query using one fails to parse and the test says so.
 */
export function substitute(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    return Object.hasOwn(values, name) ? values[name] : whole;
  });
}

/** Grafana's built-in interval variables, with the values used to test the queries. */
export const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '15m',
};
