import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { getSecretsClient } from '../shared/clients';
import { describeError } from '../shared/errors';
import { createLogger, createMetrics, METRIC } from '../shared/observability';
import { RotationDueError, type RotationEvent, runRotationStep, StaleStagedValueError } from './rotate';

const logger = createLogger('rotation');
const metrics = createMetrics('rotation');

/** Secrets Manager rotation entry point. Each step leaves an audit line; values are never logged. */
export const handler = async (event: RotationEvent, context?: Context): Promise<void> => {
  logger.resetKeys();
  if (context) logger.addContext(context);
  try {
    await runRotationStep(getSecretsClient(), event, (entry) => {
      logger.info('rotation audit', { audit: entry });
      if (entry.step === 'finishSecret' && entry.outcome === 'done') {
        metrics.addMetric(METRIC.secretRotated, MetricUnit.Count, 1);
      }
    });
  } catch (error) {
    if (error instanceof StaleStagedValueError) {
      metrics.addMetric(METRIC.rotationDue, MetricUnit.Count, 1);
      logger.warn('scheduled rotation found only a stale staged value, not promoted: rotation is due', {
        secretId: event.SecretId,
        ...(error.stagedAtMs !== undefined ? { stagedAt: new Date(error.stagedAtMs).toISOString() } : {}),
      });
    } else if (error instanceof RotationDueError) {
      metrics.addMetric(METRIC.rotationDue, MetricUnit.Count, 1);
      logger.warn('scheduled rotation found nothing staged: rotation is due', { secretId: event.SecretId });
    } else {
      metrics.addMetric(METRIC.rotationFailed, MetricUnit.Count, 1);
      logger.error('rotation step failed', {
        step: event.Step,
        secretId: event.SecretId,
        error: describeError(error),
      });
    }
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
};
