import { App, type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FptWebhookReceiver, type FptWebhookReceiverProps } from '../../lib/fpt-webhook-receiver';
import { FptWebhookReceiverStack } from '../../lib/fpt-webhook-receiver-stack';
import { ROTATION_ACTIONS, SecretRotation } from '../../lib/secret-rotation';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

/** A stack holding only the receiver; bundling is skipped so tests stay fast. */
function build(props: FptWebhookReceiverProps = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TestStack');
  const receiver = new FptWebhookReceiver(stack, 'Receiver', props);
  return { stack, receiver, template: Template.fromStack(stack) };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnResource);

const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('SecretRotation', () => {
  describe('rotation schedules', () => {
    test('attaches a schedule of 90 days to every signing secret by default, without rotating on deploy', () => {
      // GIVEN / WHEN
      const { stack, receiver, template } = build({ subscriptions: ['default', 'crm', 'org-wide'] });

      // THEN
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
      for (const name of ['default', 'crm', 'org-wide']) {
        const secret = receiver.secrets.get(name);
        if (secret === undefined) throw new Error(`no secret for ${name}`);
        template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
          SecretId: { Ref: logicalId(stack, secret) },
          RotationLambdaARN: { 'Fn::GetAtt': [logicalId(stack, receiver.rotation.rotationFunction), 'Arn'] },
          RotationRules: { AutomaticallyAfterDays: 90 },
          RotateImmediatelyOnUpdate: false,
        });
      }
    });

    test('takes the schedule from secretMaxAgeDays', () => {
      const { template } = build({ secretMaxAgeDays: 30 });

      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { AutomaticallyAfterDays: 30 },
      });
    });

    test('creates each schedule after the invoke permission and the role policy exist', () => {
      const { stack, receiver, template } = build();

      const [schedule] = Object.values(
        template.findResources('AWS::SecretsManager::RotationSchedule') as Record<string, Resource>,
      );
      const permissionId = Object.keys(
        template.findResources('AWS::Lambda::Permission', {
          Properties: { Principal: 'secretsmanager.amazonaws.com' },
        }),
      )[0];
      const role = receiver.rotation.rotationFunction.role;
      if (role === undefined) throw new Error('the rotation function has no role');
      const policyId = Object.keys(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalId(stack, role) }] },
        }),
      )[0];
      expect(schedule?.DependsOn).toEqual(expect.arrayContaining([permissionId, policyId]));
    });

    test.each([
      [0, 'secretMaxAgeDays must be a whole number from 1 to 1000, but 0 was provided'],
      [1001, 'secretMaxAgeDays must be a whole number from 1 to 1000, but 1001 was provided'],
      [1.5, 'secretMaxAgeDays must be a whole number from 1 to 1000, but 1.5 was provided'],
    ])('throws for secretMaxAgeDays %p', (days, message) => {
      expect(() => build({ secretMaxAgeDays: days })).toThrow(message);
    });

    test('throws when used on its own with a schedule that is not whole days', () => {
      const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'TestStack');
      const secret = new secretsmanager.Secret(stack, 'Secret');

      expect(
        () =>
          new SecretRotation(stack, 'Rotation', {
            secrets: new Map([['default', secret]]),
            automaticallyAfter: Duration.hours(36),
          }),
      ).toThrow('automaticallyAfter must be a whole number of days from 1 to 1000');
      expect(stack.node.tryFindChild('Rotation')).toBeUndefined();
    });
  });

  describe('rotation function', () => {
    test('runs on Node.js 24 with the rotation service name its alarms filter on, and the log level', () => {
      const { stack, receiver, template } = build({ logLevel: 'DEBUG' });

      const fn = template.toJSON().Resources[
        logicalId(stack, receiver.rotation.rotationFunction)
      ] as Resource;
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Timeout: 30,
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: 'fpt-webhook-receiver-rotation',
            POWERTOOLS_METRICS_NAMESPACE: 'FptWebhookReceiver',
            POWERTOOLS_LOG_LEVEL: 'DEBUG',
            POWERTOOLS_LOGGER_SAMPLE_RATE: '0',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    test('lets only Secrets Manager of this account invoke the function', () => {
      const { stack, receiver, template } = build();

      const functionArn = { 'Fn::GetAtt': [logicalId(stack, receiver.rotation.rotationFunction), 'Arn'] };
      const permissions = template.findResources('AWS::Lambda::Permission', {
        Properties: { FunctionName: functionArn },
      }) as Record<string, Resource>;
      expect(Object.values(permissions).map((p) => p.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: functionArn,
          Principal: 'secretsmanager.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
        },
      ]);
    });

    test('grants exactly the four rotation actions on exactly the subscription secrets, and logs and X-Ray', () => {
      const { stack, receiver, template } = build({
        subscriptions: ['default', 'crm', 'billing'],
        xrayTracing: true,
      });

      const role = receiver.rotation.rotationFunction.role;
      if (role === undefined) throw new Error('the rotation function has no role');
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: Match.arrayWith([{ Ref: logicalId(stack, role) }]) },
      });
      const statements = Object.values(policies).flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
            .Statement,
      );
      const secretArns = [...receiver.secrets.values()].map((s) => ({ Ref: logicalId(stack, s) }));
      const logGroupId = logicalId(stack, receiver.rotation.rotationFunction.logGroup);

      expect(statements).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        { Effect: 'Allow', Action: [...ROTATION_ACTIONS], Resource: secretArns },
      ]);
      expect(actionsOf(statements)).not.toContain('secretsmanager:GetRandomPassword');
      expect(actionsOf(statements)).not.toContain('secretsmanager:UpdateSecret');
    });

    test('gives the verifier and the processor no write access to any secret', () => {
      const { stack, receiver, template } = build({ subscriptions: ['default', 'crm'] });

      for (const fn of [receiver.verifier, receiver.processor]) {
        const role = fn.role;
        if (role === undefined) throw new Error('function without a role');
        const policies = template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: Match.arrayWith([{ Ref: logicalId(stack, role) }]) },
        });
        const actions = actionsOf(
          Object.values(policies).flatMap(
            (p) =>
              (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
                .Statement,
          ),
        );
        expect(actions).not.toContain('secretsmanager:PutSecretValue');
        expect(actions).not.toContain('secretsmanager:UpdateSecretVersionStage');
      }
    });
  });

  describe('cdk-nag', () => {
    test('passes AwsSolutions-SMG4 on its merits: no secret acknowledges it, and no finding is reported', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [], fpt: { subscriptions: ['a', 'b'] } } });
      const stack = new FptWebhookReceiverStack(app, 'FptWebhookReceiver');

      const acknowledged = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata)
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as Record<string, unknown>));
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);

      expect(acknowledged.filter((id) => id.includes('SMG4'))).toEqual([]);
      expect(report.violations).toEqual([]);
      expect(report.success).toBe(true);
    });
  });

  describe('stack outputs', () => {
    test('publishes the previous-secret grace window for the CLI', () => {
      const app = new App({
        context: { 'aws:cdk:bundling-stacks': [], fpt: { previousSecretGraceHours: 6 } },
      });
      const template = Template.fromStack(new FptWebhookReceiverStack(app, 'FptWebhookReceiver'));

      template.hasOutput('PreviousSecretGraceHours', { Value: '6' });
    });
  });
});
