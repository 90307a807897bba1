import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { localClientConfig } from '../../local/aws';
import { emulatorUrlFromEnv } from './support/emulator-env';

/*
 * moto has no GetAccountSettings; local/moto_server.py answers it so `fpt-webhooks doctor --local` reads
 * the same fields as on AWS: the "Concurrent executions" quota (MOTO_LAMBDA_CONCURRENCY_QUOTA, the
 * variable moto's own PutFunctionConcurrency check reads, default 1000) and what is left unreserved.
 */
describe('Lambda GetAccountSettings on the emulator', () => {
  it('answers with the concurrency quota and the unreserved concurrency, as AWS does', async () => {
    const lambda = new LambdaClient(localClientConfig(emulatorUrlFromEnv()));
    try {
      const { AccountLimit, AccountUsage } = await lambda.send(new GetAccountSettingsCommand({}));
      expect(AccountLimit?.ConcurrentExecutions).toBe(
        Number(process.env.MOTO_LAMBDA_CONCURRENCY_QUOTA ?? 1000),
      );
      expect(AccountLimit?.UnreservedConcurrentExecutions).toBeLessThanOrEqual(
        AccountLimit?.ConcurrentExecutions ?? 0,
      );
      expect(AccountUsage?.FunctionCount).toBeGreaterThanOrEqual(0);
    } finally {
      lambda.destroy();
    }
  });
});
