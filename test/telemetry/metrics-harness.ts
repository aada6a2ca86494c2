import { MeterProvider, MetricReader, type DataPoint, type ViewOptions } from '@opentelemetry/sdk-metrics';

/** A reader tests collect from on demand (cumulative temporality, like Prometheus). */
export class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  scope: string;
  name: string;
  unit: string;
  attributes: Record<string, unknown>;
  value: unknown;
}

export function meterProvider(views: ViewOptions[] = []): { provider: MeterProvider; reader: TestReader } {
  const reader = new TestReader();
  return { provider: new MeterProvider({ readers: [reader], views }), reader };
}

/** Every data point of one collection, flattened. */
export async function collect(reader: MetricReader): Promise<Point[]> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors, 'collection errors');
  const points: Point[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const dp of metric.dataPoints as DataPoint<unknown>[]) {
        points.push({ scope: scope.scope.name, name: metric.descriptor.name, unit: metric.descriptor.unit, attributes: { ...dp.attributes }, value: dp.value });
      }
    }
  }
  return points;
}

/** The value of the one point of `name` whose attributes include `match` (throws when not exactly one). */
export function valueOf(points: Point[], name: string, match: Record<string, unknown>): unknown {
  const found = pointsOf(points, name, match);
  if (found.length !== 1) throw new Error(`expected one ${name} point matching ${JSON.stringify(match)}, found ${found.length}`);
  return found[0]!.value;
}

export function pointsOf(points: Point[], name: string, match: Record<string, unknown> = {}): Point[] {
  return points.filter((p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}
