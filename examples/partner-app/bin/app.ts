import { App } from 'aws-cdk-lib';
import { PartnerStack } from '../lib/partner-stack';

const app = new App();
// Any name: the fpt-webhooks CLI finds the receiver by the stack's outputs (--stack AcmeWebhooks).
new PartnerStack(app, 'AcmeWebhooks', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
