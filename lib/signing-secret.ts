import { RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SECRET_PLACEHOLDER } from '../lambda/shared/secret-placeholder';

/** Properties of a {@link SigningSecret}. */
export interface SigningSecretProps {
  /** The FPT subscription whose HMAC signing secret this holds. */
  readonly subscription: string;
}

/**
 * Name of the signing secret of one subscription, so operators and the CLI can find it:
 * `fpt-webhooks/<stackName>/<subscription>`.
 */
export function signingSecretName(stackName: string, subscription: string): string {
  return `fpt-webhooks/${stackName}/${subscription}`;
}

/**
 * The signing secret of one FPT subscription. FPT shows a secret once, in its admin UI, so the stack
 * cannot know it: the secret starts as a placeholder that the verifier treats as "not configured"
 * (it answers 503 and FPT retries) until an operator stores the real value.
 *
 * Retained on stack deletion: the value cannot be fetched from FPT again. Rotation (the schedule, the
 * "rotation due" reminder and the staged-label flow of `fpt-webhooks secret set`) is attached by
 * {@link SecretRotation}; see docs/decisions/0005-secret-rotation.md.
 */
export class SigningSecret extends secretsmanager.Secret {
  /** The subscription this secret signs for. */
  public readonly subscription: string;

  constructor(scope: Construct, id: string, props: SigningSecretProps) {
    super(scope, id, {
      secretName: signingSecretName(Stack.of(scope).stackName, props.subscription),
      description: `HMAC signing secret of the FPT webhook subscription "${props.subscription}"`,
      // unsafePlainText is safe here: the placeholder is a public constant that the verifier recognises
      // and refuses to verify with, not secret material. The real secret is never in the template.
      // CloudFormation writes SecretString only when the template value changes, so later deploys keep
      // the operator's value; changing SECRET_PLACEHOLDER would overwrite every real secret.
      secretStringValue: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.subscription = props.subscription;
  }
}
