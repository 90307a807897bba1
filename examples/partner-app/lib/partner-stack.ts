import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FptWebhookReceiver } from 'fpt-webhook-receiver';

/** The partner's own stack: its other resources would sit beside the receiver. */
export class PartnerStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const receiver = new FptWebhookReceiver(this, 'Receiver', {
      // Relative to the directory cdk runs in (this app's root), like NodejsFunction's entry.
      handlers: { entry: 'src/fpt-handlers.ts' },
      subscriptions: this.node.tryGetContext('fpt')?.subscriptions ?? ['default'],
      alarmEmail: 'oncall@example.com',
    });
    new CfnOutput(this, 'FptWebhookUrl', { value: receiver.webhookUrl('default') });
  }
}
