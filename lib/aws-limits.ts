import { createHash } from 'node:crypto';
import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  LAMBDA_CONCURRENCY_QUOTA_CODE,
  LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS,
  LAMBDA_ENVIRONMENT_MAX_BYTES,
  LAMBDA_MIN_UNRESERVED_CONCURRENCY,
  SNS_DISPLAY_NAME_MAX_LENGTH,
} from './aws-quotas';

export {
  LAMBDA_ENVIRONMENT_MAX_BYTES,
  SNS_DISPLAY_NAME_MAX_LENGTH,
} from './aws-quotas';

/**
 * Names AWS limits in length (and for dashboards, characters). Each entry: CloudFormation type, the
 * property, the limit, and the characters allowed.
 */
export const NAME_LIMITS: readonly {
  readonly type: string;
  readonly property: string;
  readonly maxLength: number;
  readonly charset?: RegExp;
  readonly charsetText?: string;
}[] = [
  { type: 'AWS::SNS::Topic', property: 'DisplayName', maxLength: SNS_DISPLAY_NAME_MAX_LENGTH },
  { type: 'AWS::SNS::Topic', property: 'TopicName', maxLength: 256 },
  { type: 'AWS::CloudWatch::Alarm', property: 'AlarmName', maxLength: 255 },
  {
    type: 'AWS::CloudWatch::Dashboard',
    property: 'DashboardName',
    maxLength: 255,
    charset: /^[A-Za-z0-9_-]*$/,
    charsetText: 'letters, digits, "-" and "_"',
  },
  { type: 'AWS::SecretsManager::Secret', property: 'Name', maxLength: 512 },
  { type: 'AWS::Lambda::Function', property: 'FunctionName', maxLength: 64 },
  { type: 'AWS::Logs::LogGroup', property: 'LogGroupName', maxLength: 512 },
  { type: 'AWS::SQS::Queue', property: 'QueueName', maxLength: 80 },
  { type: 'AWS::DynamoDB::Table', property: 'TableName', maxLength: 255 },
];

/** Longest value CloudFormation can fill in for a reference, by what it refers to. */
const REFERENCE_ALLOWANCE: Readonly<Record<string, number>> = {
  'AWS::Region': 20,
  'AWS::AccountId': 12,
  'AWS::Partition': 10,
  'AWS::URLSuffix': 20,
  'AWS::StackName': 128,
};
/** Anything else (a queue URL, a table name, an ARN) is counted as this many characters. */
export const UNRESOLVED_VALUE_ALLOWANCE = 256;

interface Measured {
  /** Characters, counting each deploy-time value at its longest. */
  readonly length: number;
  /** The literal text, without the deploy-time values. */
  readonly literal: string;
}

/** Longest value of `{ Ref: logicalId }`, from the referenced resource; undefined when unknown. */
type ReferenceLength = (logicalId: string) => number | undefined;

/** Measures a resolved CloudFormation value: a string, or an intrinsic function around strings. */
function measure(value: unknown, referenceLength: ReferenceLength = () => undefined): Measured {
  if (typeof value === 'string') return { length: Buffer.byteLength(value, 'utf8'), literal: value };
  if (value !== null && typeof value === 'object') {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = (join[1] as unknown[]).map((part) => measure(part, referenceLength));
      return {
        length:
          parts.reduce((sum, part) => sum + part.length, 0) + join[0].length * Math.max(0, parts.length - 1),
        literal: parts.map((part) => part.literal).join(join[0]),
      };
    }
    const ref = (value as Record<string, unknown>).Ref;
    if (typeof ref === 'string') {
      const length = REFERENCE_ALLOWANCE[ref] ?? referenceLength(ref) ?? UNRESOLVED_VALUE_ALLOWANCE;
      return { length, literal: '' };
    }
  }
  return { length: UNRESOLVED_VALUE_ALLOWANCE, literal: '' };
}

/**
 * The longest value `Ref` of a resource in `stack` can return, for the kinds the receiver passes to its
 * functions: a secret's ARN (its name plus Secrets Manager's 7-character suffix), a queue's URL, a
 * table's name. Partition, Region and URL suffix are counted at their longest.
 */
function referenceLengths(stack: Stack): ReferenceLength {
  const byId = new Map<string, CfnResource>();
  for (const child of stack.node.findAll()) {
    if (CfnResource.isCfnResource(child)) byId.set(stack.resolve(child.logicalId) as string, child);
  }
  return (logicalId) => {
    const resource = byId.get(logicalId);
    if (resource === undefined) return undefined;
    const props = propertiesOf(resource);
    const literal = (key: string) => (props[key] === undefined ? undefined : measure(props[key]).length);
    switch (resource.cfnResourceType) {
      case 'AWS::SecretsManager::Secret':
        // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-XXXXXX
        return 4 + 10 + 16 + 20 + 1 + 12 + 8 + (literal('Name') ?? 512) + 7;
      case 'AWS::SQS::Queue':
        // https://sqs.<region>.<url suffix>/<account>/<name>
        return 12 + 20 + 1 + 20 + 1 + 12 + 1 + (literal('QueueName') ?? 80);
      case 'AWS::DynamoDB::Table':
        return literal('TableName') ?? 255;
      default:
        return undefined;
    }
  };
}

/**
 * Bytes of a function's environment as Lambda limits them: every name and value, with each value
 * CloudFormation fills in at deploy time counted at its longest. Counted as the JSON of the map, which
 * is never less than AWS's own count, so a stack that passes here passes there.
 */
export function environmentBytes(
  variables: Readonly<Record<string, unknown>>,
  referenceLength?: ReferenceLength,
): number {
  const entries = Object.entries(variables);
  // {"K":"V","K2":"V2"}: 2 braces, and per entry 4 quotes and a colon, and a comma between entries.
  let bytes = 2 + Math.max(0, entries.length - 1);
  for (const [key, value] of entries) {
    const measured = measure(value, referenceLength);
    const escapes = JSON.stringify(measured.literal).length - 2 - measured.literal.length;
    bytes += Buffer.byteLength(key, 'utf8') + measured.length + escapes + 5;
  }
  return bytes;
}

/**
 * A name shortened to `maxLength`, deterministically: the same input always gives the same name, and two
 * long names that differ only past the cut still differ. A name with deploy-time values is left as is.
 */
export function fitName(name: string, maxLength: number): string {
  if (name.length <= maxLength || Token.isUnresolved(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, maxLength - hash.length - 1)}-${hash}`;
}

/** A resource's CloudFormation properties, resolved as far as synth can. */
function propertiesOf(resource: CfnResource): Record<string, unknown> {
  const rendered = Stack.of(resource).resolve(
    (resource as unknown as { _toCloudFormation(): unknown })._toCloudFormation(),
  ) as { Resources?: Record<string, { Properties?: Record<string, unknown> }> };
  return Object.values(rendered.Resources ?? {})[0]?.Properties ?? {};
}

function problemsOf(resource: CfnResource, referenceLength: ReferenceLength): string[] {
  const props = propertiesOf(resource);
  const where = resource.node.path;
  const problems: string[] = [];
  for (const limit of NAME_LIMITS) {
    if (limit.type !== resource.cfnResourceType || props[limit.property] === undefined) continue;
    const measured = measure(props[limit.property]);
    if (measured.length > limit.maxLength) {
      problems.push(
        `${where}: ${limit.property} "${measured.literal}" is ${measured.length} characters${measured.literal.length < measured.length ? ' (counting deploy-time values at their longest)' : ''}, above the AWS limit of ${limit.maxLength}: use a shorter stack name or construct id`,
      );
    }
    if (limit.charset !== undefined && !limit.charset.test(measured.literal)) {
      problems.push(
        `${where}: ${limit.property} "${measured.literal}" may only contain ${limit.charsetText}`,
      );
    }
  }
  if (resource.cfnResourceType === 'AWS::Lambda::Function') {
    const variables = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    if (variables !== undefined) {
      const bytes = environmentBytes(variables, referenceLength);
      if (bytes > LAMBDA_ENVIRONMENT_MAX_BYTES) {
        const largest = Object.entries(variables)
          .map(([key, value]) => [key, environmentBytes({ [key]: value }, referenceLength)] as const)
          .sort((a, b) => b[1] - a[1])[0];
        problems.push(
          `${where}: its environment is ${bytes} bytes, above Lambda's limit of ${LAMBDA_ENVIRONMENT_MAX_BYTES} (largest: ${largest?.[0]}, ${largest?.[1]} bytes). With many subscriptions the subscription map (FPT_SUBSCRIPTIONS) or their scopes (FPT_SUBSCRIPTION_SCOPES) are the cause: shorten subscription names or the stack name, list fewer locationIds (bind an organization-wide subscription by organizationId alone), or split the subscriptions across two stacks`,
        );
      }
    }
    const reserved = props.ReservedConcurrentExecutions;
    if (typeof reserved === 'number' && !Token.isUnresolved(reserved)) {
      Annotations.of(resource).addWarningV2(
        'fpt:reserved-concurrency',
        `reserves ${reserved} concurrent executions: deploying needs the account's Lambda quota "Concurrent executions" (${LAMBDA_CONCURRENCY_QUOTA_CODE}) to be at least ${reserved + LAMBDA_MIN_UNRESERVED_CONCURRENCY} plus what other functions reserve, as Lambda keeps ${LAMBDA_MIN_UNRESERVED_CONCURRENCY} unreserved. The default quota is ${LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS}; new accounts can have 10. Check with \`npx fpt-webhooks doctor --stack <name>\` and ask AWS for more in Service Quotas before deploying`,
      );
    }
  }
  return problems;
}

const VALIDATED = new WeakSet<IConstruct>();

/**
 * Refuses at synth what AWS would refuse at deploy, for every resource under `scope`: names over their
 * length or character limits, and function environments over 4 KB. Warns about reserved concurrency,
 * which depends on the account's quota and cannot be known here.
 */
export function validateAwsLimits(scope: IConstruct): void {
  VALIDATED.add(scope);
  scope.node.addValidation({
    validate: () => {
      // A scope inside another validated one (the receiver in its stack) is covered by that one.
      if (scope.node.scopes.slice(0, -1).some((ancestor) => VALIDATED.has(ancestor))) return [];
      const referenceLength = referenceLengths(Stack.of(scope));
      return scope.node
        .findAll()
        .filter((child): child is CfnResource => CfnResource.isCfnResource(child))
        .flatMap((resource) => problemsOf(resource, referenceLength));
    },
  });
}
