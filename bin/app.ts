import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { FptWebhookReceiverStack } from '../lib';

const app = new App();
const stackName: string = app.node.tryGetContext('stackName') ?? 'FptWebhookReceiver';

new FptWebhookReceiverStack(app, stackName, {
  description: 'Receiver for FitProTracker webhooks: verify, deduplicate, queue, process',
  // Only the app picks an environment; without credentials both are undefined and the stack is
  // environment-agnostic, which is enough to synthesize.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag 3 runs as a policy validation plugin: any unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
);
