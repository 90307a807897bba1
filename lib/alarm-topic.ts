import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { fitName, SNS_DISPLAY_NAME_MAX_LENGTH } from './aws-limits';

/** Properties of an {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /**
   * Email address subscribed to the topic. AWS sends a confirmation mail first; nothing arrives until the
   * recipient confirms.
   * @default - no subscription; subscribe Slack, PagerDuty or email to the topic yourself
   */
  readonly email?: string;
  /**
   * Name of the receiver the topic serves, in the topic's display name and the key's description.
   * @default - the stack name
   */
  readonly receiverName?: string;
}

/**
 * The SNS topic every alarm of the receiver notifies, on ALARM and on OK.
 *
 * Encrypted with a customer managed KMS key (rotated yearly), because CloudWatch cannot publish to a topic
 * encrypted with the AWS managed `aws/sns` key: that key's policy cannot be changed to let CloudWatch use
 * it. The key policy lets `cloudwatch.amazonaws.com` use the key; the topic policy denies any request not
 * made over TLS and lets CloudWatch alarms of this account publish.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;
  /** The key the topic is encrypted with. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const receiverName = props.receiverName ?? stack.stackName;

    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the alarm topic of ${receiverName}`,
      enableKeyRotation: true,
      // The key protects notifications in flight only; nothing stays encrypted with it once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new sns.Topic(this, 'Resource', {
      // SNS allows 100 characters; a receiver's name (from the stack name and construct path) can be longer.
      displayName: fitName(`${receiverName} alarms`, SNS_DISPLAY_NAME_MAX_LENGTH),
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, so CloudWatch is allowed explicitly, for this account's
    // alarms only (confused-deputy guard).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    if (props.email !== undefined) {
      if (!Token.isUnresolved(props.email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.email)) {
        throw new Error(
          `email must be an email address like ops@example.com, but ${JSON.stringify(props.email)} was provided`,
        );
      }
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
  }
}
