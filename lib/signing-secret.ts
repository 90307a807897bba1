import { RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SECRET_PLACEHOLDER } from '../lambda/shared/secret-placeholder';

/** Properties of a {@link SigningSecret}. */
export interface SigningSecretProps {
  /** The FPT subscription whose HMAC signing secret this holds. */
  readonly subscription: string;
  /**
   * The receiver's name, the middle part of the secret's name (see {@link signingSecretName}).
   * @default - the stack name
   */
  readonly receiverName?: string;
}

/** Start of every signing secret's name; `doctor` lists a receiver's secrets by it. */
export const SIGNING_SECRET_NAME_PREFIX = 'fpt-webhooks/';

/**
 * Name of the signing secret of one subscription, so operators and the CLI can find it:
 * `fpt-webhooks/<receiverName>/<subscription>`. The receiver's name is its stack's name for the receiver
 * of {@link FptWebhookReceiverStack} (see `physicalNamePrefix`).
 */
export function signingSecretName(receiverName: string, subscription: string): string {
  return `${SIGNING_SECRET_NAME_PREFIX}${receiverName}/${subscription}`;
}

/**
 * The signing secret of one FPT subscription. FPT shows a secret once, in its admin UI, so the stack
 * cannot know it: the secret starts as a placeholder that the verifier treats as "not configured"
 * (it answers 503 and FPT retries) until an operator stores the real value.
 *
 * Retained on stack deletion and replacement, since the value cannot be fetched from FPT again, but deleted
 * when the stack's own create fails (`RetainExceptOnCreate`): it then holds only the placeholder, and a
 * retained one would keep its fixed name taken, so that the next deploy fails with "already exists".
 * Rotation (the schedule, the
 * "rotation due" reminder and the staged-label flow of `fpt-webhooks secret set`) is attached by
 * {@link SecretRotation}; see docs/decisions/0005-secret-rotation.md.
 */
export class SigningSecret extends secretsmanager.Secret {
  /** The subscription this secret signs for. */
  public readonly subscription: string;

  constructor(scope: Construct, id: string, props: SigningSecretProps) {
    super(scope, id, {
      secretName: signingSecretName(props.receiverName ?? Stack.of(scope).stackName, props.subscription),
      description: `HMAC signing secret of the FPT webhook subscription "${props.subscription}"`,
      // unsafePlainText is safe here: the placeholder is a public constant that the verifier recognises
      // and refuses to verify with, not secret material. The real secret is never in the template.
      // CloudFormation writes SecretString only when the template value changes, so later deploys keep
      // the operator's value; changing SECRET_PLACEHOLDER would overwrite every real secret.
      secretStringValue: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.subscription = props.subscription;
  }
}
