import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { FptWebhookReceiver } from '../../lib/fpt-webhook-receiver';
import { PROCESSOR_EFFECT_ACTIONS } from '../../lib/processor-function';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** A receiver and a partner's table its handlers write through `ctx.effects`. */
function build(options: { withEffects: boolean; customerKey?: boolean }) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'PartnerStack');
  const key = options.customerKey ? new kms.Key(stack, 'OrdersKey', { enableKeyRotation: true }) : undefined;
  const orders = new dynamodb.Table(stack, 'Orders', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(key ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key } : {}),
  });
  const receiver = new FptWebhookReceiver(stack, 'Receiver', {
    ...(options.withEffects ? { effectTables: [orders] } : {}),
  });
  return { stack, receiver, orders, key, template: Template.fromStack(stack) };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnResource);

/** The processor role's statements that name `construct` (by Ref or GetAtt) in their resources. */
function statementsOn(template: Template, stack: Stack, receiver: FptWebhookReceiver, targetId: string) {
  const roleId = logicalId(stack, receiver.processor.role as unknown as { node: { defaultChild?: unknown } });
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies)
    .flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
          .Statement,
    )
    .filter((statement) => JSON.stringify(statement.Resource).includes(targetId));
}

const actions = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('FptWebhookReceiver effectTables', () => {
  test('grants the processor exactly the four transaction actions on each effect table, and nothing to read or scan', () => {
    const { stack, receiver, orders, template } = build({ withEffects: true });

    const onOrders = statementsOn(template, stack, receiver, logicalId(stack, orders));

    expect(actions(onOrders)).toEqual([...PROCESSOR_EFFECT_ACTIONS].sort());
    expect(onOrders.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  test('grants nothing on a partner table that is not named', () => {
    const { stack, receiver, orders, template } = build({ withEffects: false });

    expect(statementsOn(template, stack, receiver, logicalId(stack, orders))).toEqual([]);
  });

  test('grants encrypt and decrypt on the customer managed key of an effect table', () => {
    const { stack, receiver, key, template } = build({ withEffects: true, customerKey: true });

    const onKey = statementsOn(template, stack, receiver, logicalId(stack, key as kms.Key));

    expect(actions(onKey)).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
  });

  test.each([
    ['AwsSolutions', () => new AwsSolutionsChecks(undefined, { verbose: true })],
    ['Serverless', () => new ServerlessChecks(undefined, { verbose: true })],
  ])('adds no %s finding', (_pack, checks) => {
    const { stack } = build({ withEffects: true, customerKey: true });

    const report = checks().validateScope(stack);

    expect(
      report.violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });
});
