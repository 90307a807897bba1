import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { VISIBILITY_TIMEOUT_FACTOR } from './config';
import { DEFAULT_SPEC } from './defaults';
import { validateVisibilityTimeout } from './validate-webhook-queue-props';

/** Properties of a {@link WebhookQueue}. */
export interface WebhookQueueProps {
  /** Timeout of the function consuming the queue; the visibility timeout is derived from it. */
  readonly processorTimeout: Duration;
  /**
   * How long a received message stays invisible. Must be at least 6x `processorTimeout`.
   * @default - 6x `processorTimeout`
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives of one message before SQS moves it to the dead-letter queue.
   * @default 5 (`DEFAULT_CONFIG.maxReceiveCount`)
   */
  readonly maxReceiveCount?: number;
}

/**
 * The work queue between verifier and processor, with its dead-letter queue.
 *
 * Both queues use SSE-SQS (no key to manage, no kms:* grants needed) and deny any request not made
 * over TLS. The DLQ keeps messages for the SQS maximum of 14 days.
 */
export class WebhookQueue extends Construct {
  /** The main queue the verifier writes to and the processor reads from. */
  public readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WebhookQueueProps) {
    super(scope, id);
    const visibilityTimeout =
      props.visibilityTimeout ??
      Duration.seconds(props.processorTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    validateVisibilityTimeout(visibilityTimeout, props.processorTimeout);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(DEFAULT_SPEC.dlq.retentionSeconds),
      maxMessageSizeBytes: DEFAULT_SPEC.queue.maxMessageSizeBytes,
    });

    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue: failed events end here, kept 14 days, until an operator redrives them (fpt-webhooks dlq redrive) after fixing the cause; a queue behind it would only hide them',
    });

    this.queue = new sqs.Queue(this, 'Resource', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: Duration.seconds(DEFAULT_SPEC.queue.retentionSeconds),
      maxMessageSizeBytes: DEFAULT_SPEC.queue.maxMessageSizeBytes,
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: props.maxReceiveCount ?? DEFAULT_SPEC.dlq.maxReceiveCount,
      },
    });
  }
}
