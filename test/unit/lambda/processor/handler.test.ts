import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { EVENT_STATUS } from '../../../../lambda/shared/ledger-schema';
import { captureOutput, jsonLines } from '../../../support/capture-output';
import { CONTACT_ID, EVENT_ID, makeEnvelope, makeRecord, SAMPLE_DATA } from './helpers';

type HandlerModule = typeof import('../../../../lambda/processor/handler');

/** Loads handler.ts afresh with the given environment, its DynamoDB client mocked, as a cold start would. */
async function coldStart(env: Record<string, string | undefined>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    let loaded: { module: HandlerModule; sentInputs: () => Array<Record<string, unknown>> } | undefined;
    await jest.isolateModulesAsync(async () => {
      const { mockClient } = await import('aws-sdk-client-mock');
      const { DynamoDBDocumentClient, GetCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
      const ddb = mockClient(DynamoDBDocumentClient);
      ddb.on(UpdateCommand).resolves({});
      ddb.on(GetCommand).resolves({});
      const sentInputs = () => ddb.calls().map((call) => call.args[0].input as Record<string, unknown>);
      loaded = { module: await import('../../../../lambda/processor/handler'), sentInputs };
    });
    return loaded as NonNullable<typeof loaded>;
  } finally {
    process.env = saved;
  }
}

describe('processor handler module', () => {
  it('fails at cold start naming the missing ledger table variable', async () => {
    // Act
    const act = coldStart({ LEDGER_TABLE_NAME: undefined });

    // Assess
    await expect(act).rejects.toThrow('environment variable LEDGER_TABLE_NAME is required but not set');
  });

  it('processes a batch with the example handlers, the table from the environment and a log line of ids only', async () => {
    // Prepare
    const { module, sentInputs } = await coldStart({
      LEDGER_TABLE_NAME: 'ledger-from-env',
      AWS_REGION: 'us-east-1',
    });
    const envelope = makeEnvelope('contact.status_changed', SAMPLE_DATA['contact.status_changed']);
    const output = captureOutput();

    // Act
    let response: SQSBatchResponse;
    try {
      response = await module.handler({ Records: [makeRecord(envelope)] } as SQSEvent);
    } finally {
      output.restore();
    }

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const tables = sentInputs().map((input) => input.TableName);
    expect(new Set(tables)).toEqual(new Set(['ledger-from-env']));
    const handled = jsonLines(output.lines()).find((log) => log.message === 'handled');
    expect(handled).toMatchObject({
      eventType: 'contact.status_changed',
      contactId: CONTACT_ID,
      eventId: EVENT_ID,
      subscription: 'default',
    });
    expect(handled).not.toHaveProperty('previousStatusId');
    expect(handled).not.toHaveProperty('data');
  });

  it('marks the last failing receive DEAD_LETTERED using MAX_RECEIVE_COUNT from the environment', async () => {
    // Prepare: data that does not match the catalog type fails before any handler runs.
    const { module, sentInputs } = await coldStart({
      LEDGER_TABLE_NAME: 'ledger-from-env',
      MAX_RECEIVE_COUNT: '2',
      AWS_REGION: 'us-east-1',
    });
    const envelope = makeEnvelope('contact.created', { contactId: 'not-a-number', operation: 'create' });
    const output = captureOutput();

    // Act
    let response: SQSBatchResponse;
    try {
      response = await module.handler({
        Records: [makeRecord(envelope, { messageId: 'm-1', receiveCount: 2 })],
      });
    } finally {
      output.restore();
    }

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    const statuses = sentInputs().map(
      (input) => (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[':status'],
    );
    expect(statuses).toContain(EVENT_STATUS.deadLettered);
  });
});
