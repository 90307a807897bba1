import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { LEDGER } from '../../lambda/shared/ledger-schema';
import { METRICS_NAMESPACE } from '../../lambda/shared/observability';
import { SECRET_PLACEHOLDER } from '../../lambda/shared/secret-placeholder';
import { FptWebhookReceiver, type FptWebhookReceiverProps } from '../../lib/fpt-webhook-receiver';
import { ACCESS_LOG_FIELDS } from '../../lib/webhook-api';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** A stack holding only the receiver; bundling is skipped so tests stay fast. */
function build(props: FptWebhookReceiverProps = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TestStack');
  const receiver = new FptWebhookReceiver(stack, 'Receiver', props);
  return { stack, receiver, template: Template.fromStack(stack) };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnResource);
}

function secretId(stack: Stack, receiver: FptWebhookReceiver, subscription: string): string {
  const secret = receiver.secrets.get(subscription);
  if (secret === undefined) throw new Error(`no secret for ${subscription}`);
  return logicalId(stack, secret);
}

/** Every IAM statement attached to a role, across all its policies. */
function statementsOf(template: Template, stack: Stack, role: iam.IRole): Statement[] {
  const roleId = logicalId(stack, role);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

function functionProps(template: Template, stack: Stack, fn: { node: { defaultChild?: unknown } }) {
  const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
  const resource = resources[logicalId(stack, fn)];
  if (resource === undefined) throw new Error('function not found in template');
  return resource.Properties;
}

describe('FptWebhookReceiver', () => {
  describe('event ledger', () => {
    test('creates an on-demand table keyed by the ledger partition key with TTL, PITR and KMS encryption', () => {
      // GIVEN / WHEN
      const { template } = build();

      // THEN
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: LEDGER.partitionKey, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: LEDGER.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    });

    test('keeps event bodies by default and tells both functions to keep none with keepEventBodies false', () => {
      const variable = (props: FptWebhookReceiverProps) => {
        const { stack, receiver, template } = build(props);
        return [receiver.verifier, receiver.processor].map(
          (fn) =>
            (functionProps(template, stack, fn) as { Environment?: { Variables?: Record<string, unknown> } })
              .Environment?.Variables?.KEEP_EVENT_BODIES,
        );
      };

      expect(variable({})).toEqual([undefined, undefined]);
      expect(variable({ keepEventBodies: false })).toEqual(['off', 'off']);
    });

    test('has exactly one index, byReceivedDay, projecting only attributes written once per row', () => {
      const { template } = build();
      const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0]?.Properties;

      expect(table?.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'listDay', AttributeType: 'S' },
        { AttributeName: 'receivedAt', AttributeType: 'N' },
      ]);
      expect(table?.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: 'byReceivedDay',
          KeySchema: [
            { AttributeName: 'listDay', KeyType: 'HASH' },
            { AttributeName: 'receivedAt', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: ['eventType', 'subscription', 'contactId', 'locationId'],
          },
        },
      ]);
      expect(table?.LocalSecondaryIndexes).toBeUndefined();
    });

    test('retains the table when it is removed from the stack, but not when its first create fails', () => {
      const { template } = build();

      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
      });
    });
  });

  describe('queues', () => {
    test('encrypts both queues with SSE-SQS and denies requests without TLS', () => {
      const { stack, receiver, template } = build();

      template.resourceCountIs('AWS::SQS::Queue', 2);
      template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      for (const queue of [receiver.queue, receiver.deadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId(stack, queue) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });

    test('keeps dead-lettered messages for 14 days', () => {
      const { stack, receiver, template } = build();

      const dlq = template.toJSON().Resources[logicalId(stack, receiver.deadLetterQueue)];
      expect(dlq.Properties.MessageRetentionPeriod).toBe(1209600);
    });

    test('redrives to the DLQ after the configured number of receives', () => {
      const { stack, receiver, template } = build({ maxReceiveCount: 7 });

      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, receiver.deadLetterQueue), 'Arn'] },
          maxReceiveCount: 7,
        },
      });
    });

    test('sets the visibility timeout to 6x the processor timeout', () => {
      const { template } = build({ processorTimeoutSeconds: 45 });

      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 270,
        MaximumMessageSize: 1024 * 1024,
        RedrivePolicy: Match.anyValue(),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Processes'),
        Timeout: 45,
      });
    });
  });

  describe('functions', () => {
    test('runs all three functions on Node.js 24 on ARM64, untraced by default', () => {
      const { template } = build();

      // verifier, processor, secret rotation
      template.resourceCountIs('AWS::Lambda::Function', 3);
      template.allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: Match.absent(),
      });
    });

    test('traces all three functions actively with xrayTracing: true', () => {
      const { template } = build({ xrayTracing: true });

      template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    });

    test('gives each function its own log group with the configured retention', () => {
      const { stack, receiver, template } = build({ logRetentionDays: 90 });

      // one per function (verifier, processor, rotation) and the API's access log
      template.resourceCountIs('AWS::Logs::LogGroup', 4);
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
      for (const fn of [receiver.verifier, receiver.processor, receiver.rotation.rotationFunction]) {
        expect(functionProps(template, stack, fn).LoggingConfig).toEqual({
          LogGroup: { Ref: logicalId(stack, fn.logGroup) },
        });
      }
    });

    test('configures the verifier from the receiver config', () => {
      const { stack, receiver, template } = build({
        subscriptions: ['default', 'crm'],
        signatureToleranceSeconds: 120,
        ledgerRetentionDays: 45,
        previousSecretGraceHours: 6,
      });

      const props = functionProps(template, stack, receiver.verifier);
      expect(props.Timeout).toBe(10);
      expect(props.MemorySize).toBe(256);
      expect(props.Handler).toBe('index.handler');
      expect(props.Environment).toEqual({
        Variables: {
          LEDGER_TABLE_NAME: { Ref: logicalId(stack, receiver.table) },
          QUEUE_URL: { Ref: logicalId(stack, receiver.queue) },
          FPT_SUBSCRIPTIONS: expect.anything(),
          SIGNATURE_TOLERANCE_SECONDS: '120',
          LEDGER_RETENTION_DAYS: '45',
          MAX_BODY_BYTES: String(256 * 1024),
          PREVIOUS_SECRET_GRACE_HOURS: '6',
          POWERTOOLS_SERVICE_NAME: 'fpt-webhook-receiver-verifier',
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            FPT_SUBSCRIPTIONS: {
              'Fn::Join': [
                '',
                [
                  '{"default":"',
                  { Ref: secretId(stack, receiver, 'default') },
                  '","crm":"',
                  { Ref: secretId(stack, receiver, 'crm') },
                  '"}',
                ],
              ],
            },
          }),
        },
      });
    });

    test('lets callers size the verifier and set the log level', () => {
      const { stack, receiver, template } = build({ verifierMemorySize: 512, logLevel: 'DEBUG' });

      const props = functionProps(template, stack, receiver.verifier) as {
        MemorySize: number;
        Environment: { Variables: Record<string, unknown> };
      };
      expect(props.MemorySize).toBe(512);
      expect(props.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
    });

    test('sets the log level and debug sampling rate of both functions', () => {
      const { stack, receiver, template } = build({ logLevel: 'WARN', logSampleRate: 0.25 });

      for (const fn of [receiver.verifier, receiver.processor]) {
        const props = functionProps(template, stack, fn) as {
          Environment: { Variables: Record<string, unknown> };
        };
        expect(props.Environment.Variables).toMatchObject({
          POWERTOOLS_LOG_LEVEL: 'WARN',
          POWERTOOLS_LOGGER_SAMPLE_RATE: '0.25',
        });
      }
    });

    test.each([
      [
        { logLevel: 'VERBOSE' },
        'logLevel must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, but "VERBOSE" was provided',
      ],
      [
        { logSampleRate: 1.5 },
        'logSampleRate must be a number from 0 to 1 (e.g. 0.1 logs 10% of containers at DEBUG), but 1.5 was provided',
      ],
      [{ logSampleRate: -0.1 }, 'logSampleRate must be a number from 0 to 1'],
    ] as const)('throws for invalid logging settings %j, leaving nothing behind', (props, message) => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TestStack');

      expect(() => new FptWebhookReceiver(stack, 'Receiver', props)).toThrow(message);
      expect(stack.node.tryFindChild('Receiver')).toBeUndefined();
    });

    test('configures the processor with the ledger and no queue URL or secrets', () => {
      const { stack, receiver, template } = build({ maxReceiveCount: 3, ledgerRetentionDays: 60 });

      const props = functionProps(template, stack, receiver.processor);
      expect(props.Timeout).toBe(30);
      expect(props.Environment).toEqual({
        Variables: {
          LEDGER_TABLE_NAME: { Ref: logicalId(stack, receiver.table) },
          LEDGER_RETENTION_DAYS: '60',
          MAX_RECEIVE_COUNT: '3',
          PROCESSING_LEASE_SECONDS: '60',
          POWERTOOLS_SERVICE_NAME: 'fpt-webhook-receiver-processor',
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
          NODE_OPTIONS: '--enable-source-maps',
        },
      });
    });

    test('puts no secret value in any environment variable', () => {
      const { template } = build({ subscriptions: ['default', 'crm'] });

      const functions = template.findResources('AWS::Lambda::Function');
      for (const fn of Object.values(functions)) {
        const rendered = JSON.stringify(fn.Properties.Environment);
        expect(rendered).not.toContain(SECRET_PLACEHOLDER);
        expect(rendered).not.toMatch(/resolve:secretsmanager/);
        const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
        for (const [name, value] of Object.entries(variables)) {
          expect(name).not.toMatch(/SECRET(?!_GRACE)|PASSWORD|TOKEN|API_?KEY/i);
          // A literal that long and random-looking would be key material.
          if (typeof value === 'string') expect(value).not.toMatch(/^[A-Za-z0-9+/=_-]{32,}$/);
        }
      }
    });

    test('feeds the processor from the queue in batches and reports partial batch failures', () => {
      const { stack, receiver, template } = build({
        processorBatchSize: 5,
        processorBatchingWindowSeconds: 2,
      });

      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, receiver.queue), 'Arn'] },
        FunctionName: { Ref: logicalId(stack, receiver.processor) },
        BatchSize: 5,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('concurrency', () => {
    test('leaves the event source and the verifier uncapped by default', () => {
      const { stack, receiver, template } = build();

      const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0];
      expect(mapping?.Properties.ScalingConfig).toBeUndefined();
      const verifier = template.toJSON().Resources[logicalId(stack, receiver.verifier)];
      expect(verifier.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    test('pre-warms the ledger for writes only when ledgerWarmWriteUnitsPerSecond is set', () => {
      const table = (t: ReturnType<typeof build>['template']) =>
        Object.values(t.findResources('AWS::DynamoDB::Table'))[0]?.Properties;

      expect(table(build().template).WarmThroughput).toBeUndefined();
      expect(table(build({ ledgerWarmWriteUnitsPerSecond: 20_000 }).template).WarmThroughput).toEqual({
        WriteUnitsPerSecond: 20_000,
      });
    });

    test('caps the event source with processorMaxConcurrency', () => {
      const { template } = build({ processorMaxConcurrency: 50 });

      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        ScalingConfig: { MaximumConcurrency: 50 },
      });
    });

    test('reserves concurrency for the verifier only, with verifierReservedConcurrency', () => {
      const { stack, receiver, template } = build({ verifierReservedConcurrency: 200 });

      const resources = template.toJSON().Resources;
      expect(resources[logicalId(stack, receiver.verifier)].Properties.ReservedConcurrentExecutions).toBe(
        200,
      );
      expect(
        resources[logicalId(stack, receiver.processor)].Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
    });
  });

  describe('permissions', () => {
    test('grants the verifier item-level access to the ledger only', () => {
      const { stack, receiver, template } = build();

      const statements = statementsOf(template, stack, receiver.verifier.role as iam.IRole);
      const ledger = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')));
      expect(ledger).toHaveLength(1);
      expect([...actionsOf(ledger)].sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      // The table only: item-level actions never touch its index.
      expect(ledger[0]?.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack, receiver.table), 'Arn'] });
    });

    test('grants the verifier SendMessage on the work queue only', () => {
      const { stack, receiver, template } = build();

      const statements = statementsOf(template, stack, receiver.verifier.role as iam.IRole);
      const sqs = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('sqs:')));
      expect(actionsOf(sqs)).toContain('sqs:SendMessage');
      for (const s of sqs) {
        expect(s.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack, receiver.queue), 'Arn'] });
      }
    });

    test('grants the verifier GetSecretValue on exactly the subscriptions secrets', () => {
      const { stack, receiver, template } = build({ subscriptions: ['default', 'crm', 'billing'] });

      const statements = statementsOf(template, stack, receiver.verifier.role as iam.IRole);
      const secretStatements = statements.filter((s) =>
        actionsOf([s]).includes('secretsmanager:GetSecretValue'),
      );
      const resources = secretStatements.flatMap((s) =>
        Array.isArray(s.Resource) ? s.Resource : [s.Resource],
      );
      const expected = [...receiver.secrets.keys()].map((name) => ({ Ref: secretId(stack, receiver, name) }));
      expect(resources).toHaveLength(3);
      expect(resources).toEqual(expect.arrayContaining(expected));
      expect(
        actionsOf(statements)
          .filter((a) => a.startsWith('secretsmanager:'))
          .sort(),
      ).toEqual(['secretsmanager:GetSecretValue']);
    });

    test('grants the processor no access to secrets, no permission to send messages, and only reads and updates on the ledger', () => {
      const { stack, receiver, template } = build({ subscriptions: ['default', 'crm'] });

      const actions = actionsOf(statementsOf(template, stack, receiver.processor.role as iam.IRole));
      expect(actions.filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
      expect(actions).not.toContain('sqs:SendMessage');
      expect(actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
      expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
      ]);
    });

    test('gives the functions no AWS managed policy and no wildcard resource, and only X-Ray when traced', () => {
      expect(
        [build(), build({ xrayTracing: true })].map(({ stack, receiver, template }) =>
          [receiver.verifier, receiver.processor, receiver.rotation.rotationFunction].map((fn) =>
            actionsOf(
              statementsOf(template, stack, fn.role as iam.IRole).filter((s) => s.Resource === '*'),
            ).sort(),
          ),
        ),
      ).toEqual([[[], [], []], Array(3).fill(['xray:PutTelemetryRecords', 'xray:PutTraceSegments'])]);
      const { stack, receiver, template } = build({ xrayTracing: true });

      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
      for (const fn of [receiver.verifier, receiver.processor, receiver.rotation.rotationFunction]) {
        const statements = statementsOf(template, stack, fn.role as iam.IRole);
        const wildcard = statements.filter((s) => s.Resource === '*');
        expect(actionsOf(wildcard).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        expect(statements).toContainEqual(
          expect.objectContaining({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [logicalId(stack, fn.logGroup), 'Arn'] },
          }),
        );
      }
    });
  });

  describe('signing secrets', () => {
    test('creates one secret per subscription holding the placeholder, retained except on a failed create', () => {
      const { template } = build({
        subscriptions: ['default', 'crm', { name: 'org-wide', scope: 'organization' }],
      });

      template.resourceCountIs('AWS::SecretsManager::Secret', 3);
      for (const name of ['default', 'crm', 'org-wide']) {
        template.hasResource('AWS::SecretsManager::Secret', {
          Properties: {
            Name: `fpt-webhooks/TestStack/${name}`,
            SecretString: SECRET_PLACEHOLDER,
          },
          DeletionPolicy: 'RetainExceptOnCreate',
          UpdateReplacePolicy: 'Retain',
        });
      }
    });

    test('exposes the secrets by subscription name', () => {
      const { receiver } = build({ subscriptions: ['default', 'crm'] });

      expect([...receiver.secrets.keys()]).toEqual(['default', 'crm']);
    });
  });

  describe('HTTP API', () => {
    test('routes POST /webhooks/{subscription} to the verifier with payload format 2.0', () => {
      const { stack, receiver, template } = build();

      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'HTTP',
        CorsConfiguration: Match.absent(),
      });
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: 'POST /webhooks/{subscription}',
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [logicalId(stack, receiver.verifier), 'Arn'] },
      });
    });

    test('throttles the auto-deployed $default stage with the configured limits', () => {
      const { template } = build({ throttlingRateLimit: 20, throttlingBurstLimit: 40 });

      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      });
    });

    test('writes JSON access logs with request metadata and never headers or body', () => {
      const { template } = build();

      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
        Properties: { AccessLogSettings: { DestinationArn: unknown; Format: string } };
      };
      const { DestinationArn, Format } = stage.Properties.AccessLogSettings;
      const logGroups = Object.keys(template.findResources('AWS::Logs::LogGroup'));
      expect(logGroups).toContainEqual(
        (DestinationArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      );
      const fields = JSON.parse(Format) as Record<string, string>;
      expect(fields).toEqual(ACCESS_LOG_FIELDS);
      expect(Object.keys(fields)).toEqual([
        'requestId',
        'ip',
        'requestTime',
        'routeKey',
        'path',
        'status',
        'protocol',
        'responseLength',
        'integrationLatency',
        'integrationError',
      ]);
      expect(Format).not.toMatch(/header|body|authorizer/i);
    });

    test('builds one webhook URL per subscription from the API endpoint', () => {
      const { stack, receiver } = build({ subscriptions: ['default', 'crm'] });

      expect(stack.resolve(receiver.webhookUrl('crm'))).toEqual({
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalId(stack, receiver.api), 'ApiEndpoint'] }, '/webhooks/crm'],
        ],
      });
    });

    test('throws when asked for the URL of an unknown subscription', () => {
      const { receiver } = build({ subscriptions: ['default'] });

      expect(() => receiver.webhookUrl('crm')).toThrow(
        'subscription must be one of "default", but "crm" was provided; add it to "fpt.subscriptions" to get a URL for it',
      );
    });
  });

  describe('configuration', () => {
    test('exposes the resolved configuration with defaults applied', () => {
      const { receiver } = build({ subscriptions: ['crm'] });

      expect(receiver.config).toMatchObject({
        subscriptions: [{ name: 'crm', scope: 'location' }],
        signatureToleranceSeconds: 300,
        processorTimeoutSeconds: 30,
        maxReceiveCount: 5,
      });
    });

    test.each([
      [
        { subscriptions: [] },
        'subscriptions must list at least one subscription name, e.g. ["default"], but [] was provided',
      ],
      [
        { signatureToleranceSeconds: 0 },
        'signatureToleranceSeconds must be a whole number from 1 to 3600, but 0 was provided (set "fpt.signatureToleranceSeconds" in cdk.json or the construct props)',
      ],
      [
        { alarmEmail: 'not-an-email' },
        'alarmEmail must be an email address like ops@example.com, but "not-an-email" was provided',
      ],
      [{ subscriptions: ['Bad_Name'] }, 'subscription name must be 1-48 lowercase letters, digits or dashes'],
    ] as const)('throws a fix-oriented ConfigValidationError for %j', (props, message) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'TestStack');

      const act = () => new FptWebhookReceiver(stack, 'Receiver', props as FptWebhookReceiverProps);

      expect(act).toThrow(expect.objectContaining({ name: 'ConfigValidationError' }));
      expect(act).toThrow(message);
    });

    test('throws once, listing every problem', () => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TestStack');

      expect(
        () => new FptWebhookReceiver(stack, 'Receiver', { subscriptions: [], maxReceiveCount: 0 }),
      ).toThrow(/subscriptions must list at least one[\s\S]*maxReceiveCount must be a whole number/);
    });
  });
});
