import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambda/shared/observability';
import { DEFAULT_CONFIG } from './config';
import { loggingEnvironment } from './logging-environment';
import { CDK_DEPLOY_TIME_VALUES, WebhookFunction } from './webhook-function';
import { METRIC_SERVICE } from './webhook-metrics';

/**
 * What the rotation function does to a secret, and nothing more (lambda/rotation/rotate.ts): read its
 * stages, read the staged and pending values, write the pending version, move the labels.
 */
export const ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
] as const;

/** Properties of a {@link SecretRotation}. */
export interface SecretRotationProps {
  /** The signing secrets to rotate, by subscription name. Each gets its own rotation schedule. */
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;
  /**
   * How often Secrets Manager runs a scheduled rotation of each secret. FPT mints the secrets, so a
   * scheduled rotation with nothing staged fails on purpose: it is the "rotation due" reminder.
   * @default Duration.days(90) (`DEFAULT_CONFIG.secretMaxAgeDays`)
   */
  readonly automaticallyAfter?: Duration;
  /**
   * Active X-Ray tracing of the rotation function.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Retention of the function's log group, where its `rotation audit` lines go, in days.
   * @default 30 (`DEFAULT_CONFIG.logRetentionDays`)
   */
  readonly logRetentionDays?: number;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * Share of containers, from 0 to 1, that log at DEBUG (`POWERTOOLS_LOGGER_SAMPLE_RATE`).
   * @default 0
   */
  readonly logSampleRate?: number;
}

/**
 * Secrets Manager rotation for the FPT signing secrets: one rotation function (lambda/rotation/handler.ts)
 * and one rotation schedule per secret.
 *
 * FPT, not AWS, mints the secret, so the function never generates one: it promotes the value an operator
 * staged with `fpt-webhooks secret set` (label `FPT_STAGED`) to AWSCURRENT. A scheduled rotation that
 * finds nothing staged fails on purpose and emits `RotationDue` (see docs/decisions/0005-secret-rotation.md).
 *
 * The schedules are `CfnRotationSchedule`s rather than `secret.addRotationSchedule()`, because the L2 also
 * grants `secretsmanager:GetRandomPassword` on `*`, which a function that never generates a value must not
 * hold. The grants below are the complete list: the four rotation actions on exactly these secrets, and an
 * invoke permission for Secrets Manager limited to this account.
 */
export class SecretRotation extends Construct {
  /** The rotation function (lambda/rotation/handler.ts). */
  public readonly rotationFunction: WebhookFunction;
  /** The rotation schedule of each secret, by subscription name. */
  public readonly schedules: ReadonlyMap<string, secretsmanager.CfnRotationSchedule>;

  constructor(scope: Construct, id: string, props: SecretRotationProps) {
    const automaticallyAfter = props.automaticallyAfter ?? Duration.days(DEFAULT_CONFIG.secretMaxAgeDays);
    if (!automaticallyAfter.isUnresolved()) {
      const days = automaticallyAfter.toDays({ integral: false });
      if (!Number.isInteger(days) || days < 1 || days > 1000) {
        throw new Error(
          `automaticallyAfter must be a whole number of days from 1 to 1000 (the Secrets Manager limit), but ${automaticallyAfter.toHumanString()} was provided`,
        );
      }
    }
    if (props.secrets.size === 0) {
      throw new Error('secrets must hold at least one signing secret to rotate, but none was provided');
    }
    super(scope, id);
    const stack = Stack.of(this);

    this.rotationFunction = new WebhookFunction(this, 'RotationFunction', {
      entry: 'rotation/handler.ts',
      failureHandling:
        'Invoked by Secrets Manager, which runs each rotation step itself and marks a failed rotation on the secret (RotationFailed, the rotation alarm); a dead-letter queue would only hold a copy of a step it already reports',
      description: 'Rotates the FPT signing secrets: promotes the staged secret, or reports rotation due',
      // Each step makes at most four Secrets Manager calls.
      timeout: Duration.seconds(30),
      memorySize: 256,
      tracing: props.tracing,
      logRetentionDays: props.logRetentionDays,
      environment: {
        POWERTOOLS_SERVICE_NAME: METRIC_SERVICE.rotation,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...loggingEnvironment(props.logLevel, props.logSampleRate, CDK_DEPLOY_TIME_VALUES),
      },
    });

    // Secrets Manager invokes the function for any secret of this account that names it (the AWS
    // recommendation: aws:SourceAccount, not aws:SourceArn, so one function serves several secrets).
    this.rotationFunction.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: stack.account,
    });
    const permission = this.rotationFunction.permissionsNode.findChild('InvokedBySecretsManager');

    const secretArns = [...props.secrets.values()].map(
      (secret) => secret.secretFullArn ?? `${secret.secretArn}-??????`,
    );
    this.rotationFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...ROTATION_ACTIONS], resources: secretArns }),
    );
    for (const secret of props.secrets.values()) {
      secret.encryptionKey?.grantEncryptDecrypt(
        new kms.ViaServicePrincipal(
          `secretsmanager.${stack.region}.amazonaws.com`,
          this.rotationFunction.grantPrincipal,
        ),
      );
    }

    const days = automaticallyAfter.toDays();
    const schedules = new Map<string, secretsmanager.CfnRotationSchedule>();
    for (const [subscription, secret] of props.secrets) {
      const schedule = new secretsmanager.CfnRotationSchedule(this, `Schedule-${subscription}`, {
        secretId: secret.secretArn,
        rotationLambdaArn: this.rotationFunction.functionArn,
        rotationRules: { automaticallyAfterDays: days },
        // A deploy must not start a rotation: with nothing staged it would fail, and fail the deploy.
        rotateImmediatelyOnUpdate: false,
      });
      // Secrets Manager checks at creation that it may invoke the function and that the role can act.
      schedule.node.addDependency(permission, this.rotationFunction.role as iam.IRole);
      schedules.set(subscription, schedule);
    }
    this.schedules = schedules;
  }
}
