import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { receiversInOutputs, targetFromOutputs } from '../../cli/target';
import { FptWebhookReceiver } from '../../lib/fpt-webhook-receiver';

const PARTNER_HANDLERS = path.join(__dirname, '..', 'support', 'partner-handlers.ts');

/** A template value as CloudFormation would resolve it: joins joined, other intrinsics a stand-in. */
function resolved(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map(resolved).join(join[0]);
  return 'deployed';
}

/** The stack's outputs as DescribeStacks would list them after a deploy. */
function deployedOutputs(stack: Stack): { OutputKey: string; OutputValue: string }[] {
  const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
  return Object.entries(outputs).map(([OutputKey, { Value }]) => ({
    OutputKey,
    OutputValue: resolved(Value),
  }));
}

describe("the CLI finds the receiver in a partner's own stack (--stack NAME)", () => {
  test('reads the receiver of a stack with any name, built with handlers.entry, from its outputs', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'AcmeWebhooks');
    new FptWebhookReceiver(stack, 'Receiver', {
      handlers: { entry: PARTNER_HANDLERS },
      subscriptions: ['default', 'crm'],
    });

    const outputs = deployedOutputs(stack);
    const target = targetFromOutputs('AcmeWebhooks', outputs, { region: 'eu-west-1' });

    expect(receiversInOutputs(outputs).map((r) => r.id)).toEqual(['Receiver']);
    expect(target).toMatchObject({
      kind: 'stack',
      flags: '--stack AcmeWebhooks --region eu-west-1',
      subscriptions: ['default', 'crm'],
    });
  });

  test('reads a receiver nested under another construct by its prefixed outputs', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'PlatformStack');
    new FptWebhookReceiver(stack, 'FptHooks', { handlers: { entry: PARTNER_HANDLERS } });

    const outputs = deployedOutputs(stack);

    expect(receiversInOutputs(outputs).map((r) => r.id)).toEqual(['FptHooks']);
    expect(targetFromOutputs('PlatformStack', outputs, {}).subscriptions).toEqual(['default']);
  });
});
