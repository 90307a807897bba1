import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  ListSecretsCommand,
  type SecretListEntry,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  LAMBDA_CONCURRENCY_QUOTA_CODE,
  LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS,
  reservedConcurrencyProblem,
} from '../../lib/aws-quotas';
import { type ListSubscribers, snsSubscriberLister } from '../alarm-subscribers';
import { CliError, UsageError } from '../errors';
import type { Io } from '../io';
import { queueFacts } from '../redrive';
import { formatTime, readSecretState } from '../signing-secrets';
import {
  type ClientConfig,
  resolveTarget,
  TARGET_HELP,
  TARGET_OPTIONS,
  type Target,
  targetOptionsFrom,
} from '../target';
import { parseCommandArgs } from './parse';

export const DOCTOR_HELP = `Usage: fpt-webhooks doctor (--local | --stack NAME [--receiver ID])

Checks that the receiver can take FPT's deliveries and that someone hears when it cannot:
  - every subscription's signing secret is configured (not the placeholder), has FPT's shape (32 or
    more characters, no whitespace) and is not scheduled for deletion; rotation due, a malformed
    previous secret and a staged value older than 24 h are warnings
  - every subscription is bound to its FPT organization (and, location-scoped, its locations)
  - no signing secret of the receiver is left behind by a removed subscription, or scheduled for
    deletion and so keeping its name taken (warnings, with the command that frees the name)
  - every webhook URL is reachable and answers 401 to an unsigned POST (so the verifier runs)
  - the alarm topic (output AlarmTopicArn) has a confirmed subscriber
  - the dead-letter queue is empty
  - the account's Lambda concurrency quota (GetAccountSettings) leaves room for the receiver
Prints one line per check (✓ ok, ⚠ warning, ✗ problem). A --stack that cannot be read (not deployed,
or rolled back from its first create) is a problem, and the secrets kept under its name, which would
fail its next deploy, are listed with the command that frees each.

Options:
  --help   show this help

${TARGET_HELP}

Exit codes: 0 no problem (warnings allowed), 1 a problem, 2 bad command line.`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  help: { type: 'boolean', default: false },
} as const;

/** What doctor talks to besides the target's AWS resources; tests replace them. */
export interface DoctorDeps {
  /** @default SNS, when `@aws-sdk/client-sns` is installed */
  readonly subscriberLister?: (clientConfig: ClientConfig) => Promise<ListSubscribers | undefined>;
  /** @default global fetch */
  readonly fetch?: typeof fetch;
  /** @default Lambda GetAccountSettings */
  readonly lambdaAccount?: (clientConfig: ClientConfig) => Promise<LambdaAccount>;
}

/** The account's Lambda concurrency, from GetAccountSettings. */
export interface LambdaAccount {
  /** The "Concurrent executions" quota. */
  readonly limit: number;
  /** What functions' reservations leave for all the others. */
  readonly unreserved: number;
}

async function readLambdaAccount(clientConfig: ClientConfig): Promise<LambdaAccount> {
  const lambda = new LambdaClient(clientConfig);
  try {
    const { AccountLimit } = await lambda.send(new GetAccountSettingsCommand({}));
    const limit = AccountLimit?.ConcurrentExecutions;
    const unreserved = AccountLimit?.UnreservedConcurrentExecutions;
    if (limit === undefined || unreserved === undefined) throw new Error('the answer has no AccountLimit');
    return { limit, unreserved };
  } finally {
    lambda.destroy();
  }
}

type Verdict = 'ok' | 'warn' | 'fail';
const MARK: Record<Verdict, string> = { ok: '✓', warn: '⚠', fail: '✗' };

class Report {
  problems = 0;
  warnings = 0;
  constructor(private readonly io: Io) {}
  add(verdict: Verdict, subject: string, detail: string): void {
    if (verdict === 'fail') this.problems++;
    if (verdict === 'warn') this.warnings++;
    this.io.out(`${MARK[verdict]} ${subject}: ${detail}`);
  }
}

/** The `aws` CLI command line for the target's account, region and (locally) endpoint. */
function awsCommand(target: Pick<Target, 'clientConfig'>, command: string): string {
  const { region, endpoint } = target.clientConfig;
  return [
    `aws ${command}`,
    ...(region !== undefined ? [`--region ${region}`] : []),
    ...(typeof endpoint === 'string' ? [`--endpoint-url ${endpoint}`] : []),
  ].join(' ');
}

function forceDeleteCommand(target: Pick<Target, 'clientConfig'>, secretName: string): string {
  return awsCommand(
    target,
    `secretsmanager delete-secret --secret-id ${secretName} --force-delete-without-recovery`,
  );
}

function formatDate(date: Date | undefined): string {
  return date === undefined ? 'a date Secrets Manager did not give' : formatTime(date.getTime());
}

async function checkSecrets(report: Report, target: Target): Promise<void> {
  const client = new SecretsManagerClient(target.clientConfig);
  const nowMs = Date.now();
  try {
    for (const subscription of target.subscriptions) {
      const subject = `secret ${subscription}`;
      try {
        const secretId = target.secretId(subscription);
        // A secret scheduled for deletion cannot be read: say so, rather than the read error below.
        const described = await client
          .send(new DescribeSecretCommand({ SecretId: secretId }))
          .catch(() => undefined);
        if (described?.DeletedDate !== undefined) {
          report.add(
            'fail',
            subject,
            `${secretId} is scheduled for deletion (on ${formatDate(described.DeletedDate)}): the verifier cannot read it, so every delivery gets 503; cancel the deletion with ${awsCommand(target, `secretsmanager restore-secret --secret-id ${secretId}`)}`,
          );
          continue;
        }
        const state = await readSecretState(client, target, subscription, nowMs);
        if (!state.configured) {
          report.add(
            'fail',
            subject,
            `not configured (still the placeholder): every delivery gets 503; run fpt-webhooks secret set ${subscription} ${target.flags}`,
          );
          continue;
        }
        if (state.currentProblem !== undefined) {
          report.add(
            'fail',
            subject,
            `malformed: ${state.currentProblem}; the verifier refuses it and every delivery gets 503 (secret_malformed); run fpt-webhooks secret set ${subscription} ${target.flags}, which checks the value (docs/runbooks/alarms.md#verifier-secret-malformed)`,
          );
          continue;
        }
        report.add(
          'ok',
          subject,
          `configured${state.currentSetAtMs !== undefined ? ` (set ${formatTime(state.currentSetAtMs)})` : ''}`,
        );
        if (state.dueReasons.length > 0) {
          report.add(
            'warn',
            subject,
            `rotation due: ${state.dueReasons.join('; ')} (docs/runbooks/rotate-secret.md)`,
          );
        }
      } catch (error) {
        report.add('fail', subject, (error as Error).message);
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Whether each subscription is bound to its FPT scope. Unbound, any holder of its key (a location admin
 * of one location) can post events for every organization and location and they are processed.
 */
function checkSubscriptionScopes(report: Report, target: Target): void {
  for (const subscription of target.subscriptions) {
    const subject = `scope ${subscription}`;
    const bounds = target.subscriptionScopes?.get(subscription);
    if (bounds === undefined) {
      report.add(
        'warn',
        subject,
        'not known: the stack has no SubscriptionScope output (deployed by an older version); deploy again to check it',
      );
      continue;
    }
    const fix =
      'set "organizationId" (and "locationIds" for a location-scoped subscription) on this subscription in "fpt.subscriptions" and deploy (docs/subscriptions.md)';
    const locationScoped = (bounds.scope ?? 'location') === 'location';
    if (bounds.organizationId === undefined && bounds.locationIds === undefined) {
      report.add(
        'warn',
        subject,
        `not bound to an FPT organization or location: anyone holding its signing key can post events for any location, and they are processed; ${fix}`,
      );
    } else if (locationScoped && bounds.locationIds === undefined) {
      report.add(
        'warn',
        subject,
        `location-scoped but no locationIds: events for any location of organization ${bounds.organizationId} are processed; ${fix}`,
      );
    } else {
      const parts = [
        ...(bounds.organizationId !== undefined ? [`organization ${bounds.organizationId}`] : []),
        ...(bounds.locationIds !== undefined ? [`locations ${bounds.locationIds.join(', ')}`] : []),
      ];
      report.add('ok', subject, `bound to ${parts.join(', ')}; events outside it are parked`);
    }
  }
}

/** Every secret whose name starts with `prefix`, those scheduled for deletion included. */
async function listSecretsNamed(client: SecretsManagerClient, prefix: string): Promise<SecretListEntry[]> {
  const found: SecretListEntry[] = [];
  let nextToken: string | undefined;
  // Bounded: 50 pages of 100 secrets is far more than one receiver has.
  for (let page = 0; page < 50; page++) {
    const out = await client.send(
      new ListSecretsCommand({
        // The name filter matches prefixes, ignoring case; the exact prefix is checked below.
        Filters: [{ Key: 'name', Values: [prefix] }],
        IncludePlannedDeletion: true,
        MaxResults: 100,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      }),
    );
    found.push(...(out.SecretList ?? []));
    nextToken = out.NextToken;
    if (nextToken === undefined) break;
  }
  return found.filter((s) => s.Name?.startsWith(prefix) && !s.Name.slice(prefix.length).includes('/'));
}

/**
 * Signing secrets under the receiver's name that no configured subscription uses: left behind by a removed
 * subscription (kept on purpose: the value cannot be fetched from FPT again), or scheduled for deletion,
 * which keeps the name taken for 7 to 30 days, so that creating it again fails.
 */
/** What the leftover-secret check needs of a target; a stack that is not deployed gives no more. */
type SecretNamesTarget = Pick<Target, 'clientConfig' | 'subscriptions' | 'secretId' | 'secretNamePrefix'>;

async function checkLeftoverSecrets(
  report: Report,
  target: SecretNamesTarget,
  stackDeployed = true,
): Promise<void> {
  const prefix = target.secretNamePrefix;
  if (prefix === undefined) return;
  const client = new SecretsManagerClient(target.clientConfig);
  const inUse = new Set(target.subscriptions.map((subscription) => target.secretId(subscription)));
  try {
    const leftovers = (await listSecretsNamed(client, prefix)).filter((s) => !inUse.has(s.Name ?? ''));
    if (leftovers.length === 0) {
      report.add('ok', 'secret names', `no secret under ${prefix} is left behind or scheduled for deletion`);
      return;
    }
    for (const secret of leftovers) {
      const name = secret.Name ?? '';
      const subscription = name.slice(prefix.length);
      if (secret.DeletedDate !== undefined) {
        report.add(
          'warn',
          `secret ${name}`,
          `scheduled for deletion (on ${formatDate(secret.DeletedDate)}) and used by no configured subscription; until then the name stays taken, so adding subscription "${subscription}" again fails; free it now with ${forceDeleteCommand(target, name)}`,
        );
      } else {
        report.add(
          'warn',
          `secret ${name}`,
          stackDeployed
            ? `used by no configured subscription (left behind by a removed one); if FPT no longer sends to "${subscription}", delete it with ${forceDeleteCommand(target, name)}`
            : `kept from an earlier stack of this name (a failed first deploy, or cdk destroy), and the next deploy cannot create it while it exists; if it holds no key FPT still signs with, delete it with ${forceDeleteCommand(target, name)} (docs/runbooks/failed-deploy.md)`,
        );
      }
    }
  } catch (error) {
    report.add(
      'warn',
      'secret names',
      `could not list the secrets under ${prefix}: ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}

async function checkEndpoints(report: Report, target: Target, fetchImpl: typeof fetch): Promise<void> {
  for (const subscription of target.subscriptions) {
    const url = target.webhookUrl(subscription);
    const subject = `endpoint ${subscription}`;
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'fpt-webhooks-doctor' },
        body: '{}',
        signal: AbortSignal.timeout(10_000),
      });
      await response.text().catch(() => '');
      if (response.status === 401) {
        report.add('ok', subject, `${url} answers 401 to an unsigned POST`);
      } else {
        report.add(
          'fail',
          subject,
          `${url} answered ${response.status} to an unsigned POST, not 401: ${response.status === 404 ? 'the subscription is not routed to the verifier' : 'the verifier is not answering as it should'}`,
        );
      }
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      const hint = target.kind === 'local' ? ' (is npm start running, on the same PORT?)' : '';
      report.add('fail', subject, `${url} is not reachable: ${reason}${hint}`);
    }
  }
}

async function checkAlarms(report: Report, target: Target, deps: DoctorDeps): Promise<void> {
  const subject = 'alarms';
  if (target.alarmTopicArn === undefined) {
    report.add(
      'warn',
      subject,
      target.kind === 'local'
        ? 'not checked: the local stack has no alarms'
        : 'not checked: the stack has no AlarmTopicArn output (deploy the current version)',
    );
    return;
  }
  const list = await (deps.subscriberLister ?? snsSubscriberLister)(target.clientConfig);
  if (list === undefined) {
    report.add(
      'warn',
      subject,
      `not checked: @aws-sdk/client-sns is not installed; check ${target.alarmTopicArn} has a confirmed subscription by hand`,
    );
    return;
  }
  try {
    const { confirmed, pending } = await list(target.alarmTopicArn);
    if (confirmed > 0) {
      report.add(
        'ok',
        subject,
        `${confirmed} confirmed subscriber${confirmed === 1 ? '' : 's'} on the alarm topic`,
      );
    } else {
      report.add(
        'fail',
        subject,
        `no confirmed subscriber on ${target.alarmTopicArn}: alarms notify nobody${pending > 0 ? ` (${pending} pending: confirm the email AWS sent)` : ' (set alarmEmail, or subscribe Slack or PagerDuty to it)'}`,
      );
    }
  } catch (error) {
    report.add(
      'fail',
      subject,
      `could not list the subscribers of ${target.alarmTopicArn}: ${(error as Error).message}`,
    );
  }
}

async function checkLambdaConcurrency(report: Report, target: Target, deps: DoctorDeps): Promise<void> {
  const subject = 'lambda concurrency';
  let account: LambdaAccount;
  try {
    account = await (deps.lambdaAccount ?? readLambdaAccount)(target.clientConfig);
  } catch (error) {
    report.add(
      'warn',
      subject,
      `not checked: could not read the account's Lambda settings (lambda:GetAccountSettings): ${(error as Error).message}`,
    );
    return;
  }
  const { limit, unreserved } = account;
  const facts = `account quota ${limit} concurrent executions, ${unreserved} unreserved`;
  const reserved = target.verifierReservedConcurrency;
  const problem = reserved === undefined ? undefined : reservedConcurrencyProblem(reserved, account);
  if (problem !== undefined) {
    report.add('fail', subject, `${facts}; ${problem} (Service Quotas, AWS Lambda)`);
  } else if (limit < LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS) {
    report.add(
      'warn',
      subject,
      `${facts}, below Lambda's default of ${LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS} (new accounts start low): the verifier and the processor share it, a burst is throttled, and verifierReservedConcurrency may not fit; ask AWS to raise "Concurrent executions" (${LAMBDA_CONCURRENCY_QUOTA_CODE}, Service Quotas, AWS Lambda) to at least ${LAMBDA_DEFAULT_CONCURRENT_EXECUTIONS}`,
    );
  } else {
    report.add(
      'ok',
      subject,
      `${facts}${reserved !== undefined ? `; verifierReservedConcurrency ${reserved} fits` : ''}`,
    );
  }
}

async function checkDeadLetterQueue(report: Report, target: Target): Promise<void> {
  const sqs = new SQSClient(target.clientConfig);
  const subject = 'dead-letter queue';
  try {
    const { visible, inFlight } = await queueFacts(sqs, target.deadLetterQueueUrl);
    const total = visible + inFlight;
    if (total === 0) report.add('ok', subject, 'empty');
    else {
      report.add(
        'fail',
        subject,
        `${total} message${total === 1 ? '' : 's'}: see why with fpt-webhooks events list ${target.flags} --status DEAD_LETTERED, fix, then fpt-webhooks dlq redrive ${target.flags}`,
      );
    }
  } catch (error) {
    report.add('fail', subject, `could not read ${target.deadLetterQueueUrl}: ${(error as Error).message}`);
  } finally {
    sqs.destroy();
  }
}

/**
 * A stack that cannot be read (never deployed, deleted, or rolled back from its first create) has no
 * outputs to check, but secrets kept under its name still block its next deploy: list those.
 */
async function checkUndeployedStack(
  io: Io,
  stackName: string,
  region: string | undefined,
  error: CliError,
): Promise<number> {
  io.out(`checking stack ${stackName}`);
  const report = new Report(io);
  report.add('fail', 'stack', error.message);
  await checkLeftoverSecrets(
    report,
    {
      clientConfig: region !== undefined ? { region } : {},
      subscriptions: [],
      secretId: () => '',
      // The shipped stack's receiver names its secrets so (signingSecretName in lib/signing-secret.ts,
      // not imported: it would load aws-cdk-lib into every CLI run).
      secretNamePrefix: `fpt-webhooks/${stackName}/`,
    },
    false,
  );
  io.out(`${report.problems} problem${report.problems === 1 ? '' : 's'} found`);
  return 1;
}

export async function doctor(argv: readonly string[], io: Io, deps: DoctorDeps = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'doctor');
  if (values.help) {
    io.out(DOCTOR_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`doctor takes no arguments, but got "${positionals.join(' ')}"`);
  }
  const options = targetOptionsFrom(values);
  let target: Target;
  try {
    target = await resolveTarget(options);
  } catch (error) {
    if (!(error instanceof CliError) || options.stack === undefined) throw error;
    return checkUndeployedStack(io, options.stack, options.region, error);
  }
  io.out(`checking ${target.description}`);
  const report = new Report(io);
  await checkSecrets(report, target);
  checkSubscriptionScopes(report, target);
  await checkLeftoverSecrets(report, target);
  await checkEndpoints(report, target, deps.fetch ?? fetch);
  await checkAlarms(report, target, deps);
  await checkDeadLetterQueue(report, target);
  await checkLambdaConcurrency(report, target, deps);
  const warnings =
    report.warnings > 0 ? ` (${report.warnings} warning${report.warnings === 1 ? '' : 's'})` : '';
  if (report.problems > 0) {
    io.out(`${report.problems} problem${report.problems === 1 ? '' : 's'} found${warnings}`);
    return 1;
  }
  io.out(`all checks passed${warnings}`);
  return 0;
}
