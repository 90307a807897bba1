import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ReceiverConfigInput } from './config';
import { FptWebhookReceiver, type FptWebhookReceiverProps } from './fpt-webhook-receiver';
import { signingSecretName } from './signing-secret';
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
 * value (cdk.json or `-c fpt='{...}'`) merged with props, plus the outputs an operator needs to wire FPT
 * up: per subscription the URL and the secret to store the signing key in.
 */
export class FptWebhookReceiverStack extends Stack {
  /** The receiver construct. */
  public readonly receiver: FptWebhookReceiver;
  /** The receiver's CloudWatch dashboard. */
  public readonly dashboard: WebhookDashboard;

  constructor(scope: Construct, id: string, props: FptWebhookReceiverStackProps = {}) {
    super(scope, id, props);

    const fromContext = readContextConfig(this.node.tryGetContext(CONFIG_CONTEXT_KEY));
    this.receiver = new FptWebhookReceiver(this, 'Receiver', {
      ...fromContext,
      ...withoutUndefined(props.receiver ?? {}),
    });

    const outputIds = new Map<string, string>();
    for (const { name } of this.receiver.config.subscriptions) {
      const suffix = pascalCase(name);
      const clash = outputIds.get(suffix);
      if (clash !== undefined) {
        throw new Error(
          `subscription names must differ by more than dashes, but "${clash}" and "${name}" both give output names ending in "${suffix}"; rename one of them`,
        );
      }
      outputIds.set(suffix, name);

      const secret = this.receiver.secrets.get(name);
      if (secret === undefined) throw new Error(`no signing secret was created for subscription "${name}"`);
      new CfnOutput(this, `WebhookUrl${suffix}`, {
        value: this.receiver.webhookUrl(name),
        description: `URL to enter in FPT (Settings > Webhook Endpoints) for subscription "${name}"`,
      });
      new CfnOutput(this, `SigningSecretArn${suffix}`, {
        value: secret.secretArn,
        description: `ARN of the secret holding the FPT signing key of subscription "${name}"`,
      });
      new CfnOutput(this, `SigningSecretName${suffix}`, {
        // The literal name (the secret's own secretName attribute is parsed from its ARN at deploy time).
        value: signingSecretName(this.stackName, name),
        description: `Name of the secret holding the FPT signing key of subscription "${name}"`,
      });
    }

    new CfnOutput(this, 'LedgerTableName', {
      value: this.receiver.table.tableName,
      description: 'DynamoDB event ledger',
    });
    new CfnOutput(this, 'QueueUrl', { value: this.receiver.queue.queueUrl, description: 'Work queue' });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.receiver.deadLetterQueue.queueUrl,
      description: 'Dead-letter queue of events that kept failing',
    });
    new CfnOutput(this, 'ApiEndpoint', {
      value: this.receiver.api.apiEndpoint,
      description: 'Base URL of the HTTP API',
    });
    new CfnOutput(this, 'PreviousSecretGraceHours', {
      value: String(this.receiver.config.previousSecretGraceHours),
      description:
        'Hours the previous signing secret is still accepted after a new one is set (read by fpt-webhooks secret set/status)',
    });

    this.dashboard = new WebhookDashboard(this, 'Dashboard', {
      metrics: this.receiver.metrics,
      alarms: this.receiver.alarms.all,
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: this.dashboard.url,
      description: 'CloudWatch dashboard of the receiver',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.receiver.alarmTopic.topicArn,
      description: 'SNS topic every alarm notifies (ALARM and OK); subscribe Slack, PagerDuty or email to it',
      exportName: `${this.stackName}-AlarmTopicArn`,
    });
  }
}

/** `my-sub-2` -> `MySub2`: subscription names as output-ID suffixes. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
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
