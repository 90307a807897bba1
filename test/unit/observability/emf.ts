/** One metric data point read back from an EMF document, with the dimension set it was published under. */
export interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string | undefined;
  /** Dimension name -> value, exactly the dimensions of one published dimension set. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: unknown;
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

/** The JSON objects among captured output (Powertools logs and EMF); anything else is ignored. */
export function jsonObjects(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
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
  return [...new Set(metrics.map((m) => metricKey(m.namespace, m.name, m.dimensions)))].sort();
}
