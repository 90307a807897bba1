/**
 * The "naive" verifier the import-time benchmark compares against: it imports the three full AWS SDK
 * clients and the document client the obvious way (aggregated clients, every command a method) and
 * builds them at module load, as many handlers do. It is never deployed; only its cold import is timed.
 */
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as secretsManager from '@aws-sdk/client-secrets-manager';
import * as sqs from '@aws-sdk/client-sqs';
import * as libDynamodb from '@aws-sdk/lib-dynamodb';

const documents = libDynamodb.DynamoDBDocument.from(new dynamodb.DynamoDB({}));
const secrets = new secretsManager.SecretsManager({});
const queue = new sqs.SQS({});

/** Every module namespace stays reachable, so no bundler can drop a command. */
export const sdk = { dynamodb, secretsManager, sqs, libDynamodb };

export const handler = async (event: { body?: string }): Promise<{ statusCode: number }> => {
  const secret = await secrets.getSecretValue({ SecretId: process.env.SECRET_ID ?? 'fpt' });
  if (secret.SecretString === undefined || event.body === undefined) return { statusCode: 401 };
  await documents.put({ TableName: process.env.LEDGER_TABLE_NAME ?? 'ledger', Item: { pk: 'x' } });
  await queue.sendMessage({ QueueUrl: process.env.QUEUE_URL ?? 'queue', MessageBody: event.body });
  return { statusCode: 202 };
};
