import type { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type METRIC, publishesMetric } from '../shared/observability';

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
export type ProcessorMetricUnit = typeof MetricUnit.Count | typeof MetricUnit.Milliseconds;

/** The processor core's view of metrics: small enough to fake, with one Powertools adapter below. */
export interface ProcessorMetrics {
  /**
   * Records one data point. Without `dimensions` it joins the invocation's batch (flushed once per
   * invocation); with them it is emitted at once on its own, so per-record dimensions never leak onto
   * the other metrics of the batch.
   */
  emit(
    name: MetricName,
    unit: ProcessorMetricUnit,
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void;
}

/** Adapts a Powertools `Metrics` (EMF) to the processor's metrics port. */
export function powertoolsProcessorMetrics(metrics: Metrics): ProcessorMetrics {
  return {
    emit(name, unit, value, dimensions) {
      if (dimensions === undefined) {
        metrics.addMetric(name, unit, value);
        return;
      }
      // singleMetric() is a plain Powertools Metrics: the dashboard-only filter is applied here.
      if (!publishesMetric(name)) return;
      const single = metrics.singleMetric();
      for (const [key, dimensionValue] of Object.entries(dimensions))
        single.addDimension(key, dimensionValue);
      single.addMetric(name, unit, value);
    },
  };
}
