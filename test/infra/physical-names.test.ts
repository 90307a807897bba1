import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { receiversInOutputs, targetFromOutputs } from '../../cli/target';
import { FptWebhookReceiver, FptWebhookReceiverStack, WebhookDashboard } from '../../lib';

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };
type TemplateJson = {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Export?: { Name: unknown } }>;
};

/**
 * Properties that give a resource a fixed (physical) name, by resource type. `Name` is a physical name
 * only for some types (an HTTP API's `Name` is a label), so it is listed per type; the others name the
 * resource wherever they appear on the resource they belong to.
 */
const NAME_PROPERTY_BY_TYPE: Record<string, string> = {
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::CompositeAlarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::S3::Bucket': 'BucketName',
};

/** Every fixed name in a template, as `<type> <name>`; a name built with Fn::Join is compared as its JSON. */
function physicalNames(template: TemplateJson): Array<{ logicalId: string; type: string; name: string }> {
  const names: Array<{ logicalId: string; type: string; name: string }> = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const property = NAME_PROPERTY_BY_TYPE[resource.Type];
    const value = property === undefined ? undefined : resource.Properties?.[property];
    if (value === undefined) continue;
    names.push({
      logicalId,
      type: resource.Type,
      name: typeof value === 'string' ? value : JSON.stringify(value),
    });
  }
  return names;
}

/** Resources with a fixed name whose DeletionPolicy keeps them after a failed first create. */
function strandedOnFailedCreate(template: TemplateJson): string[] {
  return physicalNames(template)
    .filter(({ logicalId }) => template.Resources[logicalId]?.DeletionPolicy === 'Retain')
    .map(({ logicalId }) => logicalId);
}

function duplicates(values: readonly string[]): string[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}

const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('fixed (physical) names', () => {
  describe('a failed first deploy can be retried', () => {
    test('no resource with a fixed name in the shipped stack is kept by a plain Retain', () => {
      const stack = new FptWebhookReceiverStack(newApp(), 'FptWebhookReceiver', {
        receiver: { subscriptions: ['default', 'crm'], alarmEmail: 'ops@example.com' },
      });
      const template = Template.fromStack(stack).toJSON() as TemplateJson;

      expect(physicalNames(template).length).toBeGreaterThan(10);
      expect(strandedOnFailedCreate(template)).toEqual([]);
    });

    test('keeps the signing secrets and the ledger on update and delete, but not on a failed create', () => {
      const stack = new FptWebhookReceiverStack(newApp(), 'FptWebhookReceiver');
      const template = Template.fromStack(stack);

      for (const type of ['AWS::SecretsManager::Secret', 'AWS::DynamoDB::Table']) {
        const resources = Object.values(template.findResources(type));
        expect(resources.length).toBeGreaterThan(0);
        for (const resource of resources) {
          expect(resource).toMatchObject({
            DeletionPolicy: 'RetainExceptOnCreate',
            UpdateReplacePolicy: 'Retain',
          });
        }
      }
    });

    test('the scan finds a fixed-name resource kept by a plain Retain', () => {
      const stack = new Stack(newApp(), 'Scanned');
      new sqs.Queue(stack, 'Named', { queueName: 'named-queue', removalPolicy: RemovalPolicy.RETAIN });
      new sqs.Queue(stack, 'Unnamed', { removalPolicy: RemovalPolicy.RETAIN });

      const template = Template.fromStack(stack).toJSON() as TemplateJson;

      expect(strandedOnFailedCreate(template)).toEqual([
        stack.getLogicalId(stack.node.findChild('Named').node.defaultChild as never),
      ]);
    });
  });

  describe('several receivers', () => {
    test('two receivers in one stack, each with a dashboard, share no fixed name and no output key', () => {
      const stack = new Stack(newApp(), 'Shared');
      const first = new FptWebhookReceiver(stack, 'Receiver', { subscriptions: ['default'] });
      const second = new FptWebhookReceiver(stack, 'crm-webhooks', { subscriptions: ['default'] });
      new WebhookDashboard(stack, 'Dashboard', { metrics: first.metrics });
      new WebhookDashboard(stack, 'CrmDashboard', { metrics: second.metrics });

      const template = Template.fromStack(stack).toJSON() as TemplateJson;
      const names = physicalNames(template).map(({ type, name }) => `${type} ${name}`);

      expect(names.filter((name) => name.startsWith('AWS::SecretsManager::Secret'))).toEqual([
        'AWS::SecretsManager::Secret fpt-webhooks/Shared/default',
        'AWS::SecretsManager::Secret fpt-webhooks/Shared-crm-webhooks/default',
      ]);
      expect(names.filter((name) => name.startsWith('AWS::CloudWatch::Dashboard'))).toHaveLength(2);
      expect(names.filter((name) => name.startsWith('AWS::CloudWatch::Alarm'))).toHaveLength(30);
      expect(duplicates(names)).toEqual([]);
      expect(Object.keys(template.Outputs ?? {})).toEqual(
        expect.arrayContaining([
          'LedgerTableName',
          'CrmWebhooksLedgerTableName',
          'CrmWebhooksWebhookUrlDefault',
        ]),
      );
      const exports = Object.values(template.Outputs ?? {}).flatMap((o) =>
        o.Export ? [JSON.stringify(o.Export.Name)] : [],
      );
      expect(exports).toHaveLength(2);
      expect(duplicates(exports)).toEqual([]);
    });

    test('two shipped stacks in one app share no fixed name and no export', () => {
      const app = newApp();
      const stacks = ['Blue', 'Green'].map((name) => new FptWebhookReceiverStack(app, name));
      const templates = stacks.map((stack) => Template.fromStack(stack).toJSON() as TemplateJson);

      const names = templates.flatMap((t) => physicalNames(t).map(({ type, name }) => `${type} ${name}`));
      const exports = templates.flatMap((t) =>
        Object.values(t.Outputs ?? {}).flatMap((o) => (o.Export ? [JSON.stringify(o.Export.Name)] : [])),
      );

      expect(names.length).toBeGreaterThan(20);
      expect(duplicates(names)).toEqual([]);
      expect(duplicates(exports)).toEqual([]);
    });

    test('the receiver of the shipped stack keeps the names of earlier releases', () => {
      const stack = new FptWebhookReceiverStack(newApp(), 'FptWebhookReceiver', {
        receiver: { dashboard: true },
      });
      const template = Template.fromStack(stack);

      expect(stack.receiver.receiverName).toBe('FptWebhookReceiver');
      expect(stack.receiver.outputPrefix).toBe('');
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'fpt-webhooks/FptWebhookReceiver/default',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'FptWebhookReceiver-api-5xx' });
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: { 'Fn::Join': ['', ['FptWebhookReceiver-', { Ref: 'AWS::Region' }]] },
      });
      template.hasOutput('ReceiverId', { Value: 'Receiver' });
      template.hasOutput('SigningSecretNameDefault', { Value: 'fpt-webhooks/FptWebhookReceiver/default' });
      template.hasOutput('AlarmTopicArn', { Export: { Name: 'FptWebhookReceiver-AlarmTopicArn' } });
    });

    test('a nested receiver derives its names and output keys from its path in the stack', () => {
      const stack = new Stack(newApp(), 'App');
      const receiver = new FptWebhookReceiver(new Construct(stack, 'Webhooks'), 'crm-sync');
      const template = Template.fromStack(stack);

      expect(receiver.receiverName).toBe('App-Webhooks-crm-sync');
      expect(receiver.receiverId).toBe('Webhooks/crm-sync');
      expect(receiver.outputPrefix).toBe('WebhooksCrmSync');
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'fpt-webhooks/App-Webhooks-crm-sync/default',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'App-Webhooks-crm-sync-api-5xx',
      });
      template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'App-Webhooks-crm-sync alarms' });
      template.hasOutput('WebhooksCrmSyncReceiverId', { Value: 'Webhooks/crm-sync' });
      template.hasOutput('WebhooksCrmSyncSigningSecretNameDefault', {
        Value: 'fpt-webhooks/App-Webhooks-crm-sync/default',
      });
    });

    test('refuses two receivers whose paths differ only by characters names cannot hold', () => {
      const stack = new Stack(newApp(), 'Shared');
      new FptWebhookReceiver(stack, 'crm.webhooks');

      expect(() => new FptWebhookReceiver(stack, 'crm-webhooks')).toThrow(
        'receivers "crm.webhooks" and "crm-webhooks" of stack Shared would share the names "Shared-crm-webhooks" (resources) or "CrmWebhooks" (outputs); give one of them a construct id with other letters or digits',
      );
    });

    test('the CLI tells the two receivers of a stack apart by the outputs they emit', () => {
      const app = newApp();
      const stack = new Stack(app, 'Two');
      new FptWebhookReceiver(stack, 'Receiver', { subscriptions: ['default'] });
      new FptWebhookReceiver(new Construct(stack, 'Teams'), 'crm', { subscriptions: ['crm-sync'] });
      const outputs = Object.entries(
        Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>,
      )
        // Tokens (Ref, Fn::Join) stand for deploy-time values; CloudFormation would give strings.
        .map(([OutputKey, { Value }]) => ({
          OutputKey,
          OutputValue:
            typeof Value === 'string'
              ? Value
              : `https://x.example/webhooks/${OutputKey.includes('CrmSync') ? 'crm-sync' : 'default'}`,
        }));

      expect(receiversInOutputs(outputs).map((r) => r.id)).toEqual(['Receiver', 'Teams/crm']);
      const crm = targetFromOutputs('Two', outputs, {}, 'Teams/crm');
      expect(crm.subscriptions).toEqual(['crm-sync']);
      expect(crm.secretId('crm-sync')).toBe('fpt-webhooks/Two-Teams-crm/crm-sync');
      expect(targetFromOutputs('Two', outputs, {}, 'Receiver').secretId('default')).toBe(
        'fpt-webhooks/Two/default',
      );
    });
  });
});
