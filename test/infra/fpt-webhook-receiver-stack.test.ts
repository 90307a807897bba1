import { App, type CfnResource, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { FptWebhookReceiverStack, type FptWebhookReceiverStackProps, pascalCase } from '../../lib';

function build(context: Record<string, unknown> = {}, props: FptWebhookReceiverStackProps = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver', props);
  return { app, stack, template: Template.fromStack(stack) };
}

const logicalId = (stack: FptWebhookReceiverStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnResource);

describe('FptWebhookReceiverStack', () => {
  describe('configuration', () => {
    test('reads the subscriptions from the fpt context value', () => {
      const { stack } = build({ fpt: { subscriptions: ['gym-a', 'gym-b'] } });

      expect(stack.receiver.config.subscriptions.map((s) => s.name)).toEqual(['gym-a', 'gym-b']);
    });

    test('reads the fpt context value when it is passed as a JSON string on the command line', () => {
      const { stack } = build({ fpt: '{"subscriptions":["cli"],"maxReceiveCount":9}' });

      expect(stack.receiver.config.subscriptions.map((s) => s.name)).toEqual(['cli']);
      expect(stack.receiver.config.maxReceiveCount).toBe(9);
    });

    test('lets props override the context value field by field', () => {
      const { stack } = build(
        { fpt: { subscriptions: ['ctx'], maxReceiveCount: 3 } },
        { receiver: { maxReceiveCount: 8, signatureToleranceSeconds: undefined } },
      );

      expect(stack.receiver.config.subscriptions.map((s) => s.name)).toEqual(['ctx']);
      expect(stack.receiver.config.maxReceiveCount).toBe(8);
      expect(stack.receiver.config.signatureToleranceSeconds).toBe(300);
    });

    test('throws the config validation error for invalid context values', () => {
      expect(() => build({ fpt: { subscriptions: [], signatureToleranceSeconds: 0 } })).toThrow(
        /subscriptions must list at least one subscription name[\s\S]*signatureToleranceSeconds must be a whole number from 1 to 3600, but 0 was provided/,
      );
    });

    test('rejects a misspelt setting in the fpt context instead of ignoring it', () => {
      expect(() => build({ fpt: { subscriptions: ['a'], processorMaxConcurency: 10 } })).toThrow(
        /processorMaxConcurency is not a setting; use one of .*processorMaxConcurrency.*logLevel/,
      );
    });

    test('accepts the construct-only settings (memory, logging) in the fpt context', () => {
      const { stack } = build({ fpt: { subscriptions: ['a'], logLevel: 'DEBUG', verifierMemorySize: 512 } });

      expect(stack.receiver.verifier.node.defaultChild).toBeDefined();
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        MemorySize: 512,
        Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
      });
    });

    test('throws when the fpt context value is not a JSON object', () => {
      expect(() => build({ fpt: 'subscriptions=default' })).toThrow(
        'context "fpt" must be a JSON object such as {"subscriptions":["default"]}, but "subscriptions=default" was provided',
      );
    });

    test('throws when two subscription names would give the same output names', () => {
      expect(() => build({ fpt: { subscriptions: ['a-1', 'a1'] } })).toThrow(
        'subscription names must differ by more than dashes, but "a-1" and "a1" both give output names ending in "A1"; rename one of them',
      );
    });
  });

  describe('outputs', () => {
    test('emits a URL, secret ARN and secret name per subscription', () => {
      const { stack, template } = build({ fpt: { subscriptions: ['default', 'crm-sync', 'org-2'] } });

      const outputs = template.findOutputs('*');
      const perSubscription = Object.keys(outputs).filter((k) => /^(WebhookUrl|SigningSecret)/.test(k));
      expect(perSubscription.sort()).toEqual(
        [
          'SigningSecretArnCrmSync',
          'SigningSecretArnDefault',
          'SigningSecretArnOrg2',
          'SigningSecretNameCrmSync',
          'SigningSecretNameDefault',
          'SigningSecretNameOrg2',
          'WebhookUrlCrmSync',
          'WebhookUrlDefault',
          'WebhookUrlOrg2',
        ].sort(),
      );
      template.hasOutput('WebhookUrlCrmSync', {
        Description: Match.stringLikeRegexp('crm-sync'),
        Value: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [logicalId(stack, stack.receiver.api), 'ApiEndpoint'] }, '/webhooks/crm-sync'],
          ],
        },
      });
      template.hasOutput('SigningSecretNameCrmSync', {
        Description: Match.anyValue(),
        Value: 'fpt-webhooks/FptWebhookReceiver/crm-sync',
      });
      template.hasOutput('SigningSecretArnCrmSync', {
        Description: Match.anyValue(),
        Value: { Ref: Match.stringLikeRegexp('^ReceiverSigningSecretscrmsync') },
      });
    });

    test('emits the ledger retention the CLI lists events back to', () => {
      build().template.hasOutput('LedgerRetentionDays', { Value: '30' });
      build({ fpt: { ledgerRetentionDays: 90 } }).template.hasOutput('LedgerRetentionDays', { Value: '90' });
    });

    test('creates N secrets and N sets of outputs for N subscriptions', () => {
      const names = ['a', 'b', 'c', 'd'];
      const { template } = build({ fpt: { subscriptions: names } });

      template.resourceCountIs('AWS::SecretsManager::Secret', names.length);
      const outputs = Object.keys(template.findOutputs('*'));
      expect(outputs.filter((k) => k.startsWith('WebhookUrl'))).toHaveLength(names.length);
      expect(outputs.filter((k) => k.startsWith('SigningSecretArn'))).toHaveLength(names.length);
      expect(outputs.filter((k) => k.startsWith('SigningSecretName'))).toHaveLength(names.length);
    });

    test('emits the ledger, queue, dead-letter queue and API endpoint', () => {
      const { stack, template } = build();
      const { receiver } = stack;

      template.hasOutput('LedgerTableName', { Value: { Ref: logicalId(stack, receiver.table) } });
      template.hasOutput('QueueUrl', { Value: { Ref: logicalId(stack, receiver.queue) } });
      template.hasOutput('DeadLetterQueueUrl', {
        Value: { Ref: logicalId(stack, receiver.deadLetterQueue) },
      });
      template.hasOutput('ApiEndpoint', {
        Value: { 'Fn::GetAtt': [logicalId(stack, receiver.api), 'ApiEndpoint'] },
      });
    });

    test('PascalCases subscription names for output IDs', () => {
      expect(pascalCase('default')).toBe('Default');
      expect(pascalCase('crm-sync-2')).toBe('CrmSync2');
    });
  });

  describe('construct IDs', () => {
    // Stateful resources: a changed logical ID replaces the table (losing the dedupe memory) or
    // orphans the secret (losing the signing key). Change these only with a migration plan.
    test('keeps the logical ID of the event ledger table stable', () => {
      const { stack } = build();

      expect(logicalId(stack, stack.receiver.table)).toBe('ReceiverLedger882E5FEF');
    });

    test('keeps the logical IDs of the signing secrets stable', () => {
      const { stack } = build({ fpt: { subscriptions: ['default', 'crm'] } });
      const ids = [...stack.receiver.secrets.entries()].map(([name, secret]) => [
        name,
        logicalId(stack, secret),
      ]);

      expect(ids).toEqual([
        ['default', 'ReceiverSigningSecretsdefault468D2F7E'],
        ['crm', 'ReceiverSigningSecretscrm386E5B98'],
      ]);
    });

    test('keeps the logical IDs of the queues stable', () => {
      const { stack } = build();

      expect(logicalId(stack, stack.receiver.queue)).toBe('ReceiverQueue3E93ADA7');
      expect(logicalId(stack, stack.receiver.deadLetterQueue)).toBe('ReceiverQueueDeadLetterQueue73C9ECAB');
    });
  });

  describe('cdk-nag AwsSolutions and Serverless', () => {
    test.each([
      ['AwsSolutions', () => new AwsSolutionsChecks(undefined, { verbose: true })],
      ['Serverless', () => new ServerlessChecks(undefined, { verbose: true })],
    ])('reports no unacknowledged %s findings, errors or warnings', (_pack, checks) => {
      const { stack } = build({
        fpt: { subscriptions: ['default', 'crm'], xrayTracing: true, dashboard: true },
      });

      const report = checks().validateScope(stack);

      expect(
        report.violations.map(
          (v) =>
            `${v.ruleName} (${v.severity}) at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
      ).toEqual([]);
      expect(report.success).toBe(true);
    });

    test('acknowledges only the expected rules, each with a reason (tracing on)', () => {
      const { stack } = build({ fpt: { subscriptions: ['default', 'crm'], xrayTracing: true } });

      const acknowledged = new Map<string, string>();
      for (const construct of stack.node.findAll()) {
        for (const entry of construct.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, value] of Object.entries(entry.data as Record<string, unknown>)) {
            const reason = typeof value === 'string' ? value : JSON.stringify(value);
            acknowledged.set(id.replace(/^annotation::/i, ''), reason);
          }
        }
      }
      expect([...acknowledged.keys()].sort()).toEqual([
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[Resource::*]',
        'Serverless-LambdaDLQ',
        'Serverless-LambdaEventSourceMappingDestination',
        'Serverless-SQSRedrivePolicy',
      ]);
      for (const reason of acknowledged.values()) expect(reason.length).toBeGreaterThan(40);
    });

    test('stays clean with X-Ray tracing off (the default), without the acknowledgement tracing needed', () => {
      const { stack, template } = build({ fpt: { subscriptions: ['default'] } });

      for (const checks of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
        expect(checks.validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
      }
      const acknowledged = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata)
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as Record<string, unknown>));
      expect(acknowledged.some((id) => id.includes('IAM5'))).toBe(false);

      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThanOrEqual(3);
      for (const fn of functions) expect(fn.Properties.TracingConfig?.Mode).not.toBe('Active');
      const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
      expect(policies).not.toContain('xray:');
    });

    test('synthesizes with both plugins registered, as bin/app.ts does, and no warnings or errors annotated', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));

      expect(() => app.synth()).not.toThrow();
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    });

    test('fails synthesis when a resource breaks a rule, so the clean result above is meaningful', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver');
      new sqs.Queue(stack, 'QueueWithoutTls');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
    });

    test('fails synthesis on a Serverless finding too, e.g. a queue without a redrive policy', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver');
      new sqs.Queue(stack, 'QueueWithoutRedrive', { enforceSSL: true });
      Validations.of(app).addPlugins(new ServerlessChecks(app));

      expect(() => app.synth()).toThrow(/Serverless-SQSRedrivePolicy/);
    });
  });
});
