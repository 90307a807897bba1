import type { MetricName, ProcessorMetrics, ProcessorMetricUnit } from '../../lambda/processor/metrics';
import { jsonObjects } from './capture-output';

/**
 * One metric data point as a test sees it: recorded at the processor's metrics port ({@link RecordingMetrics}),
 * or read back from EMF output ({@link emittedMetrics}), which also knows the namespace and always has the
 * dimension set the point was published under (possibly empty).
 */
export interface EmittedMetric {
  readonly name: string;
  readonly unit: string | undefined;
  readonly value: unknown;
  /** Dimension name -> value, exactly the dimensions of one published dimension set. */
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly namespace?: string;
}

/** The processor's metrics port, recording each data point instead of printing EMF. */
export class RecordingMetrics implements ProcessorMetrics {
  readonly emitted: EmittedMetric[] = [];

  emit(
    name: MetricName,
    unit: ProcessorMetricUnit,
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void {
    this.emitted.push({ name, unit, value, ...(dimensions ? { dimensions } : {}) });
  }

  named(name: MetricName): EmittedMetric[] {
    return this.emitted.filter((metric) => metric.name === name);
  }
}

interface EmfDocument {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: ReadonlyArray<readonly string[]>;
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit?: string }>;
    }>;
  };
  readonly [key: string]: unknown;
}

/**
 * Every metric data point in the captured output, one entry per (metric, dimension set): this is what
 * CloudWatch turns each EMF document into, so alarms must use exactly these dimension sets.
 */
export function emittedMetrics(text: string): EmittedMetric[] {
  const out: EmittedMetric[] = [];
  for (const doc of jsonObjects(text)) {
    if (!('_aws' in doc)) continue;
    const emf = doc as unknown as EmfDocument;
    for (const directive of emf._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = Object.fromEntries(dimensionSet.map((key) => [key, String(emf[key])]));
        for (const metric of directive.Metrics) {
          out.push({
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit,
            dimensions,
            value: emf[metric.Name],
          });
        }
      }
    }
  }
  return out;
}

/** `Name{key=value,...}` with keys sorted: a comparable identity of a CloudWatch metric. */
export function metricKey(
  namespace: string,
  name: string,
  dimensions: Readonly<Record<string, string>>,
): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${namespace}/${name}{${dims}}`;
}

/** The distinct metric identities in the output, sorted. */
export function metricKeys(metrics: readonly EmittedMetric[]): string[] {
  return [...new Set(metrics.map((m) => metricKey(m.namespace ?? '', m.name, m.dimensions ?? {})))].sort();
}
