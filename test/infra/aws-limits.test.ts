import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  environmentBytes,
  fitName,
  LAMBDA_ENVIRONMENT_MAX_BYTES,
  NAME_LIMITS,
  validateAwsLimits,
} from '../../lib/aws-limits';
import { MAX_BODY_BYTES } from '../../lib/config';
import { FptWebhookReceiver, type FptWebhookReceiverProps } from '../../lib/fpt-webhook-receiver';
import { FptWebhookReceiverStack } from '../../lib/fpt-webhook-receiver-stack';

/** A value in the synthesized template, as the receiver's functions' environments hold them. */
type CfnValue = string | { Ref: string } | { 'Fn::Join': [string, CfnValue[]] };

/** CloudFormation allows stack names of up to 128 characters. */
const LONGEST_STACK_NAME = `Fpt${'x'.repeat(120)}Stack`;

function synth(stackName: string, props: FptWebhookReceiverProps = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FptWebhookReceiverStack(app, stackName, { receiver: props });
  return { stack, template: Template.fromStack(stack) };
}

/** The bare construct in a plain stack: it checks its own resources. */
function synthConstruct(props: FptWebhookReceiverProps) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Plain');
  new FptWebhookReceiver(stack, 'Receiver', props);
  return Template.fromStack(stack);
}

const names = (n: number) =>
  Array.from({ length: n }, (_, i) => `subscription-number-${String(i).padStart(3, '0')}`);

/** Every literal name property the template holds, with the limit AWS puts on it. */
function namedProperties(template: Template) {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  return Object.values(resources).flatMap((resource) =>
    NAME_LIMITS.filter(
      (limit) => limit.type === resource.Type && resource.Properties?.[limit.property] !== undefined,
    ).map((limit) => ({ limit, value: resource.Properties?.[limit.property] })),
  );
}

describe('AWS limits at synth', () => {
  describe('with a 128-character stack name', () => {
    // Every optional resource on: the dashboard's name is limited too.
    const { template } = synth(LONGEST_STACK_NAME, { dashboard: true, xrayTracing: true });

    it('keeps the alarm topic display name within SNS 100 characters, the same on every synth', () => {
      const topics = Object.values(template.findResources('AWS::SNS::Topic'));
      const displayName = topics[0]?.Properties.DisplayName as string;
      expect(displayName.length).toBeLessThanOrEqual(100);
      expect(displayName.startsWith(LONGEST_STACK_NAME.slice(0, 80))).toBe(true);
      expect(synth(LONGEST_STACK_NAME).template.findResources('AWS::SNS::Topic')).toEqual(
        template.findResources('AWS::SNS::Topic'),
      );
    });

    it('keeps every literal alarm, secret and topic name within its AWS limit', () => {
      const literal = namedProperties(template).filter(({ value }) => typeof value === 'string');
      expect(literal.map(({ limit }) => limit.property)).toEqual(
        expect.arrayContaining(['AlarmName', 'Name', 'DisplayName']),
      );
      for (const { limit, value } of literal) {
        expect((value as string).length).toBeLessThanOrEqual(limit.maxLength);
      }
    });

    it('keeps the dashboard name within 255 characters of letters, digits, "-" and "_"', () => {
      const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
      const name = dashboard?.Properties.DashboardName as { 'Fn::Join': [string, unknown[]] };
      const parts = name['Fn::Join'][1];
      const literal = parts.filter((part): part is string => typeof part === 'string').join('');
      expect(literal).toMatch(/^[A-Za-z0-9_-]+$/);
      // The region is the only deploy-time part: its longest name has 14 characters.
      expect(literal.length + 20).toBeLessThanOrEqual(255);
    });
  });

  it('refuses a name over its limit, naming the resource, the limit and the fix', () => {
    const app = new App();
    const stack = new Stack(app, 'Names');
    new cloudwatch.Alarm(stack, 'TooLong', {
      alarmName: 'a'.repeat(256),
      metric: new cloudwatch.Metric({ namespace: 'N', metricName: 'M', period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    // The L1 resource, which CDK does not check itself: names built from construct paths end up here.
    new cloudwatch.CfnDashboard(stack, 'BadChars', { dashboardName: 'my dashboard!', dashboardBody: '{}' });
    validateAwsLimits(stack);
    expect(() => app.synth()).toThrow(
      /Names\/TooLong\/Resource: AlarmName "a+" is 256 characters, above the AWS limit of 255/,
    );
    expect(() => app.synth()).toThrow(
      /DashboardName "my dashboard!" may only contain letters, digits, "-" and "_"/,
    );
  });

  describe('the Lambda environment (4 KB)', () => {
    it('counts at least what Lambda counts: every name and value', () => {
      const variables = { A: 'x'.repeat(100), LONGER_NAME: 'é' };
      expect(environmentBytes(variables)).toBeGreaterThanOrEqual(1 + 100 + 11 + 2);
    });

    it('refuses the overflow for the bare construct too, reporting it once', () => {
      expect(() => synthConstruct({ subscriptions: names(60) })).toThrow(/FPT_SUBSCRIPTIONS/);
      try {
        synth('Once', { subscriptions: names(60) });
      } catch (error) {
        expect(String((error as Error).message).match(/its environment is/g)).toHaveLength(1);
      }
    });

    it('synthesizes 20 subscriptions, whose map fits', () => {
      expect(() => synth('FptWebhookReceiver', { subscriptions: names(20) })).not.toThrow();
    });

    it('refuses at synth a subscription map that would overflow the verifier environment, and says what to do', () => {
      expect(() => synth('FptWebhookReceiver', { subscriptions: names(60) })).toThrow(
        new RegExp(
          `Receiver/Verifier/.*its environment is \\d+ bytes, above Lambda's limit of ${LAMBDA_ENVIRONMENT_MAX_BYTES} \\(largest: FPT_SUBSCRIPTIONS.*shorten subscription names or the stack name.*or split the subscriptions across two stacks`,
        ),
      );
    });

    it("counts the subscriptions' FPT scopes too: refuses at synth bounds that overflow, naming the variable", () => {
      const bound = (count: number, locations: number) =>
        names(count).map((name, i) => ({
          name,
          organizationId: 100_000 + i,
          locationIds: Array.from({ length: locations }, (_, j) => 1_000_000 + j),
        }));
      expect(() => synth('FptWebhookReceiver', { subscriptions: bound(5, 5) })).not.toThrow();
      expect(() => synth('FptWebhookReceiver', { subscriptions: bound(10, 50) })).toThrow(
        /its environment is \d+ bytes, above Lambda's limit of 4096 \(largest: FPT_SUBSCRIPTION_SCOPES.*fewer locationIds/,
      );
    });

    it('puts the limit where the deployed environment, at its longest, crosses 4,096 bytes', () => {
      const synthesizes = (count: number) => {
        try {
          synth('FptWebhookReceiver', { subscriptions: names(count) });
          return true;
        } catch {
          return false;
        }
      };
      let [fits, fails] = [10, 60];
      while (fails - fits > 1) {
        const middle = Math.floor((fits + fails) / 2);
        if (synthesizes(middle)) fits = middle;
        else fails = middle;
      }
      // Independently of lib/aws-limits.ts: fill in each reference with the longest value AWS can give it.
      const deployedBytes = (count: number) => {
        const template = Template.fromStack(
          new FptWebhookReceiverStack(
            new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
            'FptWebhookReceiver',
            {
              receiver: { subscriptions: names(count) },
            },
          ),
        ).toJSON();
        const resources = template.Resources as Record<
          string,
          {
            Type: string;
            Properties: { Name?: string; Environment?: { Variables?: Record<string, CfnValue> } };
          }
        >;
        const longest = (logicalId: string): string => {
          const resource = resources[logicalId];
          if (resource?.Type === 'AWS::SecretsManager::Secret') {
            return `arn:aws-iso-b:secretsmanager:ap-southeast-4:123456789012:secret:${resource.Properties.Name}-AbCdEf`;
          }
          if (resource?.Type === 'AWS::SQS::Queue')
            return `https://sqs.ap-southeast-4.amazonaws.com/123456789012/${'q'.repeat(80)}`;
          return 't'.repeat(255);
        };
        const fill = (value: CfnValue): string =>
          typeof value === 'string'
            ? value
            : 'Ref' in value
              ? longest(value.Ref)
              : value['Fn::Join'][1].map(fill).join(value['Fn::Join'][0]);
        const verifier = Object.values(resources).find(
          (resource) => resource.Properties?.Environment?.Variables?.FPT_SUBSCRIPTIONS !== undefined,
        );
        return Object.entries(verifier?.Properties.Environment?.Variables ?? {}).reduce(
          (sum, [key, value]) => sum + key.length + fill(value).length,
          0,
        );
      };
      expect(deployedBytes(fits)).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_MAX_BYTES);
      // One more subscription (which synth refuses) comes close to or over AWS's own count: the synth
      // count, as JSON, adds only quotes, colons, commas and escapes to it.
      const next = 2 * deployedBytes(fits) - deployedBytes(fits - 1);
      expect(next).toBeGreaterThan(LAMBDA_ENVIRONMENT_MAX_BYTES - 250);
    });
  });

  describe('API Gateway HTTP API and Lambda payloads', () => {
    const { template } = synth('FptWebhookReceiver');
    const verifier = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment?.Variables?.FPT_SUBSCRIPTIONS !== undefined,
    );

    it("gives the verifier a timeout under the HTTP API's 30 s integration timeout, so a slow call ends as its own 5xx", () => {
      expect(verifier?.Properties.Timeout).toBeLessThan(30);
      const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
      for (const integration of integrations) {
        expect(integration.Properties.TimeoutInMillis ?? 30_000).toBeLessThanOrEqual(30_000);
      }
    });

    it("caps bodies far below API Gateway's 10 MB and, base64-encoded in the event, Lambda's 6 MB", () => {
      const maxBody = Number(verifier?.Properties.Environment.Variables.MAX_BODY_BYTES);
      expect(maxBody).toBe(MAX_BODY_BYTES);
      expect(maxBody).toBeLessThan(10 * 1024 * 1024);
      // A binary body arrives base64-encoded; headers and request context add at most tens of KB.
      expect(Math.ceil(maxBody / 3) * 4 + 64 * 1024).toBeLessThan(6 * 1024 * 1024);
    });
  });

  it('warns at synth that reserved concurrency needs the account quota, and says what to ask for', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new FptWebhookReceiverStack(app, 'Reserved', {
      receiver: { verifierReservedConcurrency: 50 },
    });
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('Concurrent executions'),
    );
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.entry.data)).toContain('at least 150');
  });
});

describe('fitName', () => {
  it('leaves a name within the limit alone', () => {
    expect(fitName('short', 10)).toBe('short');
  });

  it('cuts a long name to the limit, the same way every time, keeping names that differ at the end apart', () => {
    const a = fitName(`${'n'.repeat(120)}-a`, 100);
    const b = fitName(`${'n'.repeat(120)}-b`, 100);
    expect(a).toHaveLength(100);
    expect(a).toBe(fitName(`${'n'.repeat(120)}-a`, 100));
    expect(a).not.toBe(b);
  });
});
