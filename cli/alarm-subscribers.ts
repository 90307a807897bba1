/**
 * Who receives the alarms: the subscriptions of the alarm topic (SNS ListSubscriptionsByTopic).
 *
 * `@aws-sdk/client-sns` is not a dependency of this project (yet); it is loaded when installed, and the
 * check is skipped with a warning otherwise. See docs/cli.md.
 */
import type { ClientConfig } from './target';

export interface SubscriberCount {
  /** Confirmed subscriptions: someone is notified. */
  readonly confirmed: number;
  /** Email subscriptions nobody has confirmed yet: nobody is notified through them. */
  readonly pending: number;
}

export type ListSubscribers = (topicArn: string) => Promise<SubscriberCount>;

interface SnsModule {
  SNSClient: new (config: ClientConfig) => { send(command: unknown): Promise<unknown>; destroy(): void };
  ListSubscriptionsByTopicCommand: new (input: { TopicArn: string; NextToken?: string }) => unknown;
}

/** The SNS client package, when installed. A variable name keeps the compiler from requiring it. */
async function loadSns(): Promise<SnsModule | undefined> {
  const name = '@aws-sdk/client-sns';
  try {
    return (await import(name)) as SnsModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * A subscriber counter backed by SNS, or undefined when `@aws-sdk/client-sns` is not installed.
 * The region is taken from the topic's ARN.
 */
export async function snsSubscriberLister(clientConfig: ClientConfig): Promise<ListSubscribers | undefined> {
  const sns = await loadSns();
  if (sns === undefined) return undefined;
  return async (topicArn) => {
    const region = topicArn.split(':')[3];
    const client = new sns.SNSClient({ ...clientConfig, ...(region ? { region } : {}) });
    try {
      let confirmed = 0;
      let pending = 0;
      let nextToken: string | undefined;
      do {
        const out = (await client.send(
          new sns.ListSubscriptionsByTopicCommand({
            TopicArn: topicArn,
            ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
          }),
        )) as { Subscriptions?: { SubscriptionArn?: string }[]; NextToken?: string };
        for (const subscription of out.Subscriptions ?? []) {
          if (subscription.SubscriptionArn?.startsWith('arn:')) confirmed++;
          else pending++;
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined && nextToken !== '');
      return { confirmed, pending };
    } finally {
      client.destroy();
    }
  };
}
