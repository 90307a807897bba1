import * as path from 'node:path';
import { type Duration, Token, Tokenization, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_CONFIG } from './config';
import type { DeployTimeValues } from './logging-environment';
import { PACKAGE_ROOT } from './package-root';

/**
 * Directory holding the runtime entry points (`lambda/<function>/handler.ts`). The package ships these
 * TypeScript sources, and every function is bundled from them, in this repository and in a partner's app.
 */
export const LAMBDA_SOURCE_DIR = path.join(PACKAGE_ROOT, 'lambda');

/**
 * How every function is bundled; `npm run bench` builds its bundles from these same options.
 *
 * Cold start sits on FPT's 30-second delivery path, so the bundle is built for load time: the SDK is
 * bundled from its ES builds (tree-shaken to the commands we use, instead of the runtime's CommonJS
 * clients that load every command), and the default credential chain is replaced by the environment
 * provider (see lambda/shared/lambda-credentials.ts). Source maps stay on for readable stack traces; the
 * map omits the sources to stay small. Figures: docs/performance.md.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node24',
  forceDockerBundling: false,
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
  esbuildArgs: {
    // Absolute: esbuild resolves an alias target against the directory cdk runs in, which in a partner's
    // app is not this package's.
    '--alias:@aws-sdk/credential-provider-node': path.join(
      LAMBDA_SOURCE_DIR,
      'shared',
      'lambda-credentials.ts',
    ),
  },
} as const satisfies nodejs.BundlingOptions;

/** CDK tokens: a setting given as a token is checked by CloudFormation at deployment, not here. */
export const CDK_DEPLOY_TIME_VALUES: DeployTimeValues = {
  isUnresolved: (value) => Token.isUnresolved(value),
  stringifyNumber: (value) => Tokenization.stringifyNumber(value),
};

/** Properties of a {@link WebhookFunction}. */
export interface WebhookFunctionProps {
  /** Entry file, relative to the `lambda/` directory, e.g. `verifier/handler.ts`. */
  readonly entry: string;
  /** Function timeout. */
  readonly timeout: Duration;
  /**
   * More esbuild aliases, module name -> absolute path, added to those of {@link LAMBDA_BUNDLING}.
   * @default - none
   */
  readonly esbuildAliases?: Readonly<Record<string, string>>;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group, in days.
   * @default 30 (`DEFAULT_CONFIG.logRetentionDays`)
   */
  readonly logRetentionDays?: number;
  /**
   * Environment variables, added to those the construct always sets (`NODE_OPTIONS`).
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Who invokes the function and what becomes of a failed invocation: the reason, recorded with the
   * cdk-nag acknowledgement, why it needs no dead-letter queue of its own.
   */
  readonly failureHandling: string;
  /**
   * Active X-Ray tracing. At low volume the traces are the largest per-event cost (docs/cost.md).
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Concurrency reserved for (and capping) this function.
   * @default - none: the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Description of the function.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Map stack traces back to the TypeScript sources at run time (`NODE_OPTIONS=--enable-source-maps`).
   * It costs cold-start time to read the map, so a function that logs no stack traces can turn it off.
   * @default true
   */
  readonly runtimeSourceMaps?: boolean;
}

/**
 * The house `NodejsFunction`: latest Node.js runtime, ARM64, active X-Ray tracing, its own log group
 * with retention, and a minified, source-mapped bundle built with the local esbuild (no Docker).
 *
 * The role is our own instead of the default one, which carries the AWS managed
 * `AWSLambdaBasicExecutionRole` (logs:CreateLogGroup/CreateLogStream/PutLogEvents on every log group in
 * the account). Ours may only write to this function's log group.
 *
 * The log group and role are created beside the function (`<id>LogGroup`, `<id>ServiceRole`) because
 * they must exist before `super()` runs.
 */
export class WebhookFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: (props.logRetentionDays ?? DEFAULT_CONFIG.logRetentionDays) as logs.RetentionDays,
    });
    const role = new iam.Role(scope, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${id} function`,
    });

    super(scope, id, {
      entry: path.join(LAMBDA_SOURCE_DIR, props.entry),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: props.tracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      description: props.description,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role,
      logGroup,
      environment: {
        ...props.environment,
        ...(props.runtimeSourceMaps === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
      },
      bundling: {
        ...LAMBDA_BUNDLING,
        esbuildArgs: {
          ...LAMBDA_BUNDLING.esbuildArgs,
          ...Object.fromEntries(
            Object.entries(props.esbuildAliases ?? {}).map(([name, target]) => [`--alias:${name}`, target]),
          ),
        },
      },
    });
    // The log group ARN ends in `:*` (all its streams); it names no other group.
    logGroup.grantWrite(role);

    // cdk-nag 3 matches acknowledgements per finding, on the resource or any of its ancestors.
    Validations.of(this).acknowledge({ id: 'Serverless-LambdaDLQ', reason: props.failureHandling });
    if (props.tracing === false) {
      Validations.of(this).acknowledge({
        id: 'Serverless-LambdaTracing',
        reason:
          'X-Ray tracing is off because the operator chose xrayTracing: false (at low volume traces are the largest per-event cost, docs/cost.md); every event is still in the logs and the EMF metrics',
      });
      return;
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permissions, so CDK grants it on "*"; no other statement of this role uses "*"',
    });
  }
}
