import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { validateAwsLimits } from './aws-limits';
import type { ReceiverConfigInput } from './config';
import { FptWebhookReceiver, type FptWebhookReceiverProps } from './fpt-webhook-receiver';
import { DEFAULT_RECEIVER_ID } from './physical-names';
import { WebhookDashboard } from './webhook-dashboard';

/** Context key holding the receiver configuration (see cdk.json). */
export const CONFIG_CONTEXT_KEY = 'fpt';

/** Properties of an {@link FptWebhookReceiverStack}. */
export interface FptWebhookReceiverStackProps extends StackProps {
  /**
   * Receiver configuration. Each field set here wins over the same field in the `fpt` context value.
   * @default - the `fpt` context value only
   */
  readonly receiver?: FptWebhookReceiverProps;
}

/**
 * The deployable receiver: the {@link FptWebhookReceiver} construct configured from the `fpt` context
 * value (cdk.json or `-c fpt='{...}'`) merged with props, and, with `dashboard: true`, its dashboard. The receiver, with the
 * construct id `Receiver`, emits the outputs an operator needs to wire FPT up (per subscription the URL
 * and the secret to store the signing key in) under the unprefixed keys of earlier releases.
 */
export class FptWebhookReceiverStack extends Stack {
  /** The receiver construct. */
  public readonly receiver: FptWebhookReceiver;
  /** The receiver's CloudWatch dashboard; only with the `dashboard` setting (default off). */
  public readonly dashboard: WebhookDashboard | undefined;

  constructor(scope: Construct, id: string, props: FptWebhookReceiverStackProps = {}) {
    super(scope, id, props);
    validateAwsLimits(this);

    const fromContext = readContextConfig(this.node.tryGetContext(CONFIG_CONTEXT_KEY));
    this.receiver = new FptWebhookReceiver(this, DEFAULT_RECEIVER_ID, {
      ...fromContext,
      ...withoutUndefined(props.receiver ?? {}),
    });

    // Optional: $3 a month, and it needs series the alarms do not (docs/cost.md).
    this.dashboard = this.receiver.config.dashboard
      ? new WebhookDashboard(this, 'Dashboard', {
          metrics: this.receiver.metrics,
          alarms: this.receiver.alarms.all,
        })
      : undefined;
    if (this.dashboard !== undefined) {
      new CfnOutput(this, 'DashboardUrl', {
        value: this.dashboard.url,
        description: 'CloudWatch dashboard of the receiver',
      });
    }
  }
}

/** The `fpt` context value is an object in cdk.json, but a JSON string when passed with `-c`. */
function readContextConfig(raw: unknown): ReceiverConfigInput {
  if (raw === undefined || raw === null) return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(
        `context "${CONFIG_CONTEXT_KEY}" must be a JSON object such as {"subscriptions":["default"]}, but ${JSON.stringify(raw)} was provided`,
      );
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `context "${CONFIG_CONTEXT_KEY}" must be a JSON object such as {"subscriptions":["default"]}, but ${JSON.stringify(raw)} was provided`,
    );
  }
  return value as ReceiverConfigInput;
}

function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
