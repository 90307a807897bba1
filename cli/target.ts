/**
 * Where a command sends events and reads the ledger: the local stack (`--local`) or a deployed stack
 * (`--stack NAME [--receiver ID]`, resolved from its CloudFormation outputs, whatever the stack is named
 * and however many receivers it holds). Commands only see the `Target` interface,
 * so a new kind of target needs no change to them.
 */
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_CONFIG } from '../lib/config';
import {
  DEFAULT_EMULATOR_PORT,
  DEFAULT_SERVER_PORT,
  emulatorUrl,
  LOCAL_HOST,
  type LocalClientConfig,
  localClientConfig,
  portFromEnv,
} from '../local/aws';
import { isEmulatorHealthy } from '../local/emulator';
import { DEFAULT_NAMESPACE, loadReceiverConfig, localResourceNames } from '../local/provision';
import { CliError, UsageError } from './errors';

/** SDK client settings: the emulator's, or empty for the default AWS credential and region chain. */
export type ClientConfig = Partial<LocalClientConfig>;

export interface Target {
  /** For messages: `local stack (emulator http://127.0.0.1:4566)` or `stack FptWebhookReceiver`. */
  readonly description: string;
  readonly kind: 'local' | 'stack';
  /** The options that select this target again, for hints: `--local` or `--stack NAME [--region R]`. */
  readonly flags: string;
  readonly clientConfig: ClientConfig;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly subscriptions: readonly string[];
  /** @throws UsageError when the target has no such subscription */
  webhookUrl(subscription: string): string;
  /** Secrets Manager id (name) of the subscription's signing secret. */
  secretId(subscription: string): string;
  /**
   * Hours the verifier still accepts the previous secret after a new one is set: the stack's
   * `PreviousSecretGraceHours` output, or the local config (default 24).
   */
  readonly previousSecretGraceHours: number;
  /**
   * Days an event row is kept (config `ledgerRetentionDays`): the stack's `LedgerRetentionDays` output,
   * or the local config; undefined for a stack that predates the output. `events list` and `events replay`
   * look back this far without `--since`.
   */
  readonly ledgerRetentionDays?: number;
  /**
   * Days after which a secret is due for rotation, from the local config. Undefined for a deployed
   * stack: each secret's rotation schedule says it.
   */
  readonly secretMaxAgeDays?: number;
  /**
   * The verifier's reserved concurrency from the local config, which doctor checks against the account.
   * Undefined for a deployed stack (the deploy already reserved it) and when not set.
   */
  readonly verifierReservedConcurrency?: number;
  /**
   * The FPT scope each subscription is bound to (local config, or the stack's `SubscriptionScope<Name>`
   * outputs); a subscription missing here is unknown (a stack deployed before the output existed).
   */
  readonly subscriptionScopes?: ReadonlyMap<string, TargetSubscriptionScope>;
  /** The SNS topic every alarm notifies (output `AlarmTopicArn`); undefined when the target has none. */
  readonly alarmTopicArn?: string;
  /**
   * Start of the names of this receiver's signing secrets (`fpt-webhooks/<receiverName>/`), so that secrets
   * no subscription uses any more can be found; undefined when the target does not say.
   */
  readonly secretNamePrefix?: string;
}

/** What doctor needs to know of a subscription's FPT scope. */
export interface TargetSubscriptionScope {
  readonly scope?: string;
  readonly organizationId?: number;
  readonly locationIds?: readonly number[];
}

/** The `SubscriptionScope<Name>` output, read leniently: a value it cannot read is "unknown". */
function parseScopeOutput(value: string | undefined): TargetSubscriptionScope | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    if (parsed === null || typeof parsed !== 'object') return undefined;
    return {
      ...(typeof parsed.scope === 'string' ? { scope: parsed.scope } : {}),
      ...(typeof parsed.organizationId === 'number' ? { organizationId: parsed.organizationId } : {}),
      ...(Array.isArray(parsed.locationIds)
        ? { locationIds: parsed.locationIds.filter((id): id is number => typeof id === 'number') }
        : {}),
    };
  } catch {
    return undefined;
  }
}

export interface TargetOptions {
  readonly local?: boolean;
  readonly stack?: string;
  readonly region?: string;
  /** Which receiver of a stack that holds several (its path in the stack, output `ReceiverId`). */
  readonly receiver?: string;
}

/** The target options out of `parseArgs` values, without the unset ones. */
export function targetOptionsFrom(values: TargetOptions): TargetOptions {
  return {
    ...(values.local !== undefined ? { local: values.local } : {}),
    ...(values.stack !== undefined ? { stack: values.stack } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.receiver !== undefined ? { receiver: values.receiver } : {}),
  };
}

/**
 * The namespace of the local stack `--local` talks to: `local`, the one `npm start` runs. Tests set
 * FPT_LOCAL_NAMESPACE to run the CLI against their own isolated stack on the same emulator.
 */
export const LOCAL_NAMESPACE_ENV = 'FPT_LOCAL_NAMESPACE';

/** The options every command that needs a target accepts, for `parseArgs`. */
export const TARGET_OPTIONS = {
  local: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  receiver: { type: 'string' },
} as const;

export const TARGET_HELP = `Target (one is required):
  --local          the local stack started by npm start (emulator on FPT_EMULATOR_PORT, default ${DEFAULT_EMULATOR_PORT};
                   API on PORT, default ${DEFAULT_SERVER_PORT})
  --stack NAME     a deployed stack, found through its CloudFormation outputs (AWS credentials from the
                   usual chain: AWS_PROFILE, environment, SSO...)
  --region REGION  region of --stack (default: AWS_REGION or your profile's)
  --receiver ID    which receiver of --stack, when the stack holds several FptWebhookReceiver constructs
                   (its path in the stack, as the output ReceiverId shows; the error lists them)`;

function unknownSubscription(subscription: string, known: readonly string[]): UsageError {
  return new UsageError(
    `subscription must be one of ${known.map((s) => `"${s}"`).join(', ')}, but "${subscription}" was provided`,
  );
}

async function resolveLocal(env: NodeJS.ProcessEnv): Promise<Target> {
  const emulatorPort = portFromEnv('FPT_EMULATOR_PORT', DEFAULT_EMULATOR_PORT, env);
  const serverPort = portFromEnv('PORT', DEFAULT_SERVER_PORT, env);
  const endpoint = emulatorUrl(emulatorPort);
  if (!(await isEmulatorHealthy(endpoint))) {
    throw new CliError(
      `the local stack is not running (no emulator answers on ${endpoint}): start it with npm start in another terminal`,
    );
  }
  const clientConfig = localClientConfig(endpoint);
  const namespace = env[LOCAL_NAMESPACE_ENV] || DEFAULT_NAMESPACE;
  const names = localResourceNames(namespace);
  const sqs = new SQSClient(clientConfig);
  let queueUrl: string | undefined;
  let deadLetterQueueUrl: string | undefined;
  try {
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.queueName }))).QueueUrl;
    deadLetterQueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.deadLetterQueueName })))
      .QueueUrl;
  } catch (error) {
    throw new CliError(
      `the emulator on ${endpoint} has no local stack yet (queue ${names.queueName} is missing): start it with npm start`,
      { cause: error },
    );
  } finally {
    sqs.destroy();
  }
  const config = loadReceiverConfig();
  const subscriptions = config.subscriptions.map((s) => s.name);
  return {
    description: `local stack (emulator ${endpoint}, API http://${LOCAL_HOST}:${serverPort})`,
    kind: 'local',
    flags: '--local',
    clientConfig,
    tableName: names.tableName,
    queueUrl: queueUrl ?? '',
    deadLetterQueueUrl: deadLetterQueueUrl ?? '',
    subscriptions,
    webhookUrl: (subscription) => {
      if (!subscriptions.includes(subscription)) throw unknownSubscription(subscription, subscriptions);
      return `http://${LOCAL_HOST}:${serverPort}/webhooks/${subscription}`;
    },
    secretId: (subscription) => {
      if (!subscriptions.includes(subscription)) throw unknownSubscription(subscription, subscriptions);
      return names.secretName(subscription);
    },
    previousSecretGraceHours: config.previousSecretGraceHours,
    ledgerRetentionDays: config.ledgerRetentionDays,
    secretMaxAgeDays: config.secretMaxAgeDays,
    ...(config.verifierReservedConcurrency !== undefined
      ? { verifierReservedConcurrency: config.verifierReservedConcurrency }
      : {}),
    secretNamePrefix: names.secretName(''),
    subscriptionScopes: new Map(config.subscriptions.map((s) => [s.name, s])),
  };
}

/** One receiver found in a stack's outputs: its path in the stack and the prefix of its output keys. */
export interface ReceiverOutputs {
  readonly id: string;
  readonly prefix: string;
}

const RECEIVER_MARKER_KEY = 'LedgerTableName';
/** Receivers before `ReceiverId` existed were all the stack's `Receiver`. */
const LEGACY_RECEIVER_ID = 'Receiver';

/**
 * The receivers a stack's outputs describe. Each FptWebhookReceiver emits its outputs with keys prefixed by
 * its path in the stack (none for `Receiver` directly in the stack, as in FptWebhookReceiverStack), and
 * every receiver has `<prefix>LedgerTableName`; `<prefix>ReceiverId` holds its path.
 */
export function receiversInOutputs(outputs: readonly Output[]): ReceiverOutputs[] {
  const byKey = new Map(outputs.map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const receivers: ReceiverOutputs[] = [];
  for (const key of byKey.keys()) {
    if (!key.endsWith(RECEIVER_MARKER_KEY)) continue;
    const prefix = key.slice(0, -RECEIVER_MARKER_KEY.length);
    const id = byKey.get(`${prefix}ReceiverId`) || (prefix === '' ? LEGACY_RECEIVER_ID : prefix);
    receivers.push({ id, prefix });
  }
  return receivers.sort((a, b) => a.id.localeCompare(b.id));
}

function pickReceiver(
  stackName: string,
  outputs: readonly Output[],
  wanted: string | undefined,
): ReceiverOutputs {
  const receivers = receiversInOutputs(outputs);
  const listed = receivers.map((r) => `"${r.id}"`).join(', ');
  if (wanted !== undefined) {
    const found = receivers.find((r) => r.id === wanted || (r.prefix !== '' && r.prefix === wanted));
    if (found !== undefined) return found;
    throw new UsageError(
      receivers.length === 0
        ? `--receiver "${wanted}" was given, but stack ${stackName} has no receiver outputs (no ${RECEIVER_MARKER_KEY}): is it an FPT webhook receiver stack, and is it fully deployed?`
        : `--receiver must be one of ${listed} (the receivers of stack ${stackName}), but "${wanted}" was provided`,
    );
  }
  if (receivers.length > 1) {
    throw new UsageError(
      `stack ${stackName} holds ${receivers.length} receivers (${listed}): choose one with --receiver ID, e.g. --receiver ${receivers[0]?.id}`,
    );
  }
  return receivers[0] ?? { id: LEGACY_RECEIVER_ID, prefix: '' };
}

/**
 * Reads one receiver out of a deployed stack's outputs (see `addOutputs` in lib/fpt-webhook-receiver.ts):
 * per subscription `WebhookUrl<Name>` and `SigningSecretName<Name>`, and `LedgerTableName`, `QueueUrl`,
 * `DeadLetterQueueUrl`; optionally `PreviousSecretGraceHours` (default 24), `LedgerRetentionDays` and `AlarmTopicArn`; every key
 * prefixed by the receiver's output prefix. The stack may hold several receivers: `receiver` names one,
 * and must when there are several.
 * The subscription name is taken from the URL's last path segment, so no name mangling is reversed.
 * @throws UsageError when the stack holds several receivers and `receiver` names none of them
 */
export function targetFromOutputs(
  stackName: string,
  outputs: readonly Output[],
  clientConfig: ClientConfig,
  receiver?: string,
): Target {
  const picked = pickReceiver(stackName, outputs, receiver);
  const severalReceivers = receiversInOutputs(outputs).length > 1;
  const { prefix } = picked;
  const byKey = new Map(
    outputs.flatMap((o) => {
      const key = o.OutputKey ?? '';
      return key.startsWith(prefix) ? [[key.slice(prefix.length), o.OutputValue ?? ''] as const] : [];
    }),
  );
  const description = severalReceivers ? `stack ${stackName}, receiver ${picked.id}` : `stack ${stackName}`;
  const required = (key: string): string => {
    const value = byKey.get(key);
    if (value === undefined || value === '') {
      throw new CliError(
        `stack ${stackName} has no output ${prefix}${key}: is it an FPT webhook receiver stack, and is it fully deployed?`,
      );
    }
    return value;
  };
  const urls = new Map<string, string>();
  const secretNames = new Map<string, string>();
  const scopes = new Map<string, TargetSubscriptionScope>();
  for (const [key, value] of byKey) {
    if (!key.startsWith('WebhookUrl')) continue;
    const suffix = key.slice('WebhookUrl'.length);
    const subscription = /\/webhooks\/([^/?#]+)\/?$/.exec(value)?.[1];
    if (subscription === undefined) continue;
    urls.set(subscription, value);
    const secretName = byKey.get(`SigningSecretName${suffix}`);
    if (secretName !== undefined) secretNames.set(subscription, secretName);
    const scope = parseScopeOutput(byKey.get(`SubscriptionScope${suffix}`));
    if (scope !== undefined) scopes.set(subscription, scope);
  }
  if (urls.size === 0) {
    throw new CliError(
      `stack ${stackName} has no ${prefix}WebhookUrl<Name> outputs: is it an FPT webhook receiver stack?`,
    );
  }
  const subscriptions = [...urls.keys()];
  const graceOutput = byKey.get('PreviousSecretGraceHours');
  const grace = graceOutput === undefined ? Number.NaN : Number(graceOutput);
  const retention = Number(byKey.get('LedgerRetentionDays') ?? Number.NaN);
  const alarmTopicArn = byKey.get('AlarmTopicArn');
  const firstSecretName = [...secretNames.values()][0];
  const flags = [
    `--stack ${stackName}`,
    ...(clientConfig.region !== undefined ? [`--region ${clientConfig.region}`] : []),
    ...(severalReceivers ? [`--receiver ${picked.id}`] : []),
  ].join(' ');
  return {
    description,
    kind: 'stack',
    flags,
    clientConfig,
    tableName: required('LedgerTableName'),
    queueUrl: required('QueueUrl'),
    deadLetterQueueUrl: required('DeadLetterQueueUrl'),
    subscriptions,
    webhookUrl: (subscription) => {
      const url = urls.get(subscription);
      if (url === undefined) throw unknownSubscription(subscription, subscriptions);
      return url;
    },
    secretId: (subscription) => {
      const name = secretNames.get(subscription);
      if (name === undefined) {
        if (urls.has(subscription)) {
          throw new CliError(
            `stack ${stackName} has no SigningSecretName output for subscription "${subscription}"`,
          );
        }
        throw unknownSubscription(subscription, subscriptions);
      }
      return name;
    },
    previousSecretGraceHours:
      Number.isInteger(grace) && grace >= 0 ? grace : DEFAULT_CONFIG.previousSecretGraceHours,
    ...(Number.isInteger(retention) && retention > 0 ? { ledgerRetentionDays: retention } : {}),
    ...(alarmTopicArn !== undefined && alarmTopicArn !== '' ? { alarmTopicArn } : {}),
    ...(firstSecretName !== undefined
      ? { secretNamePrefix: firstSecretName.slice(0, firstSecretName.lastIndexOf('/') + 1) }
      : {}),
    subscriptionScopes: scopes,
  };
}

async function resolveStack(
  stackName: string,
  region: string | undefined,
  receiver: string | undefined,
): Promise<Target> {
  const clientConfig: ClientConfig = region !== undefined ? { region } : {};
  const cloudFormation = new CloudFormationClient(clientConfig);
  try {
    const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (stack === undefined) throw new CliError(`stack ${stackName} was not found`);
    return targetFromOutputs(stackName, stack.Outputs ?? [], clientConfig, receiver);
  } catch (error) {
    if (error instanceof CliError || error instanceof UsageError) throw error;
    const message = (error as Error).message ?? String(error);
    throw new CliError(`could not read stack ${stackName}: ${message}`, { cause: error });
  } finally {
    cloudFormation.destroy();
  }
}

/**
 * Resolves `--local` or `--stack NAME` into a {@link Target}.
 * @throws UsageError when neither or both are given
 * @throws CliError when the target cannot be reached
 */
export async function resolveTarget(
  options: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  if (options.local === true && options.stack !== undefined) {
    throw new UsageError('choose one target: --local or --stack NAME, not both');
  }
  if (options.local === true) {
    if (options.region !== undefined) throw new UsageError('--region applies to --stack only');
    if (options.receiver !== undefined) throw new UsageError('--receiver applies to --stack only');
    return resolveLocal(env);
  }
  if (options.stack !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(options.stack)) {
      throw new UsageError(
        `--stack must be a CloudFormation stack name, but "${options.stack}" was provided`,
      );
    }
    return resolveStack(options.stack, options.region, options.receiver);
  }
  throw new UsageError(
    'choose a target: --local (the stack npm start runs) or --stack NAME (a deployed stack)',
  );
}
