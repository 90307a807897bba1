import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './aws';

export interface LambdaContextOptions {
  readonly functionName: string;
  readonly timeoutSeconds: number;
  /** @default 256 */
  readonly memoryLimitInMB?: number;
}

/** A Lambda `Context` like the runtime's, with a fresh request id and a deadline from the timeout. */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const awsRequestId = randomUUID();
  const unsupported = () => {
    throw new Error('the callback-style context methods are not supported by the local stack');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 256),
    awsRequestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Thrown when a local invocation runs past its function timeout, as the Lambda runtime would stop it. */
export class InvocationTimeoutError extends Error {
  constructor(functionName: string, timeoutSeconds: number) {
    super(`${functionName} timed out after ${timeoutSeconds} seconds`);
    this.name = 'InvocationTimeoutError';
  }
}

/**
 * Runs `invoke` with the function's timeout. Unlike Lambda, the work cannot be frozen when the time is up;
 * the caller sees the timeout error and the late result is ignored, which is what Lambda's caller sees.
 */
export async function withTimeout<T>(
  functionName: string,
  timeoutSeconds: number,
  invoke: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InvocationTimeoutError(functionName, timeoutSeconds)),
      timeoutSeconds * 1000,
    );
  });
  try {
    return await Promise.race([invoke(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
