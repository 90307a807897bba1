import { App, type CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventLedgerTable } from '../../lib/event-ledger-table';
import { WebhookQueue } from '../../lib/webhook-queue';

const newStack = () => new Stack(new App(), 'TestStack');

describe('WebhookQueue', () => {
  test('defaults the visibility timeout to 6x the processor timeout', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    new WebhookQueue(stack, 'Queue', { processorTimeout: Duration.seconds(20) });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 120,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
  });

  test('accepts a visibility timeout longer than 6x the processor timeout', () => {
    const stack = newStack();

    new WebhookQueue(stack, 'Queue', {
      processorTimeout: Duration.seconds(10),
      visibilityTimeout: Duration.minutes(5),
    });

    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 300 });
  });

  test('throws when the visibility timeout is shorter than 6x the processor timeout', () => {
    const stack = newStack();

    expect(
      () =>
        new WebhookQueue(stack, 'Queue', {
          processorTimeout: Duration.seconds(30),
          visibilityTimeout: Duration.seconds(60),
        }),
    ).toThrow(
      'visibility timeout must be at least 6x the processor timeout (180 seconds), but 60 seconds was provided; raise visibilityTimeout or leave it unset to use 6x processorTimeout',
    );
  });

  test('gives the dead-letter queue the same encryption, TLS policy and message size as the main queue', () => {
    const stack = newStack();

    const queues = new WebhookQueue(stack, 'Queue', { processorTimeout: Duration.seconds(30) });

    const template = Template.fromStack(stack);
    const dlq =
      template.toJSON().Resources[
        stack.getLogicalId(queues.deadLetterQueue.node.defaultChild as CfnResource)
      ];
    expect(dlq.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
      MaximumMessageSize: 1048576,
    });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
  });
});

describe('EventLedgerTable', () => {
  test('lets a throwaway stack opt out of retaining the table', () => {
    const stack = newStack();

    new EventLedgerTable(stack, 'Ledger', { removalPolicy: RemovalPolicy.DESTROY });

    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});
