import { randomBytes } from 'node:crypto';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { signPayload } from '../../lambda/verifier/signature';
import { MAX_BODY_BYTES } from '../../lib/config';
import {
  type AlarmState,
  type CheckResult,
  formatCheck,
  formatTally,
  judgeAlarms,
  judgeRotation,
  tally,
} from '../acceptance-checks';
import { postDelivery, readCurrentSecret } from '../delivery';
import { UsageError } from '../errors';
import type { Io } from '../io';
import { displayStatus, LedgerReader } from '../ledger';
import { queueFacts } from '../redrive';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target, targetOptionsFrom } from '../target';
import { buildTestEvent, type TestEnvelope } from '../test-event';
import { parseCommandArgs } from './parse';

export const ACCEPTANCE_HELP = `Usage: fpt-webhooks acceptance (--local | --stack NAME) [options]

The check to run after cdk deploy and after every change. It sends marked test events only
("fpt-webhook-receiver:test": true, see docs/handlers.md), never changes a signing secret and never
touches a real event. One line per check (PASS, FAIL, or SKIP with the reason it cannot apply here),
then "N passed, N failed".

Checks:
  rotation <sub>        each signing secret has rotation enabled, with a rotation function
  alarms                every alarm of the stack is OK or INSUFFICIENT_DATA
  dead-letter queue     the DLQ is empty
  current secret <sub>  a test event signed with the secret stored in Secrets Manager gets 202
  processed             that test event reaches processed in the ledger
  duplicate             the same event again gets 200
  bad signature         an event signed with another key gets 401
  unknown subscription  a POST to a subscription that does not exist gets 404
  oversize body         a body over the verifier's limit gets 413

Options:
  --timeout SECONDS  how long to wait for the test event to be processed (default 60)
  --json             print the results as one JSON object instead of lines
  --help             show this help

${TARGET_HELP}

Exit codes: 0 every check passed or was skipped, 1 a check failed or the target is unreachable,
2 bad command line.`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  timeout: { type: 'string', default: '60' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const message = (error: unknown) => (error as Error).message ?? String(error);

/** A signing key no subscription has: 48 random hex characters. */
const strangerKey = () => randomBytes(24).toString('hex');

function parseTimeout(raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 1 || value > 900) {
    throw new UsageError(`--timeout must be a number of seconds from 1 to 900, but "${raw}" was provided`);
  }
  return value;
}

function sign(secret: string, body: string): string {
  return signPayload(secret, Math.floor(Date.now() / 1000), body);
}

/** POSTs and answers `HTTP <status>`, or why nothing answered. */
async function postStatus(
  url: string,
  body: string,
  signature: string,
  target: Target,
): Promise<{ status?: number; text: string }> {
  try {
    const response = await postDelivery(url, body, signature, target);
    return { status: response.status, text: await response.text().catch(() => '') };
  } catch (error) {
    return { text: message(error) };
  }
}

function expectStatus(
  name: string,
  expected: number,
  got: { status?: number; text: string },
  what: string,
): CheckResult {
  if (got.status === expected) return { name, status: 'pass', detail: `${what}: ${expected}` };
  const answer = got.status === undefined ? got.text : `${got.status} ${got.text.slice(0, 200)}`;
  return { name, status: 'fail', detail: `${what}: expected ${expected}, got ${answer}` };
}

/** A test event the receiver accepted, kept for the processed and duplicate checks. */
interface Accepted {
  readonly subscription: string;
  readonly secret: string;
  readonly envelope: TestEnvelope;
  readonly body: string;
  readonly sentAt: number;
}

async function checkRotations(target: Target): Promise<CheckResult[]> {
  if (target.kind === 'local') {
    return target.subscriptions.map((subscription) => ({
      name: `rotation ${subscription}`,
      status: 'skip' as const,
      detail:
        'the local stack has no rotation schedule: only Secrets Manager in AWS runs one (the rotation steps themselves are tested locally)',
    }));
  }
  const client = new SecretsManagerClient(target.clientConfig);
  try {
    const results: CheckResult[] = [];
    for (const subscription of target.subscriptions) {
      try {
        const secret = await client.send(
          new DescribeSecretCommand({ SecretId: target.secretId(subscription) }),
        );
        results.push(judgeRotation(subscription, secret));
      } catch (error) {
        results.push({
          name: `rotation ${subscription}`,
          status: 'fail',
          detail: `could not describe the secret: ${message(error)}`,
        });
      }
    }
    return results;
  } finally {
    client.destroy();
  }
}

/** The alarms that notify the receiver's alarm topic: every alarm the receiver creates does. */
async function receiverAlarms(target: Target, topicArn: string): Promise<AlarmState[]> {
  const cloudWatch = new CloudWatchClient(target.clientConfig);
  try {
    const alarms: AlarmState[] = [];
    let nextToken: string | undefined;
    do {
      const page = await cloudWatch.send(
        new DescribeAlarmsCommand({
          ActionPrefix: topicArn,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          MaxRecords: 100,
          NextToken: nextToken,
        }),
      );
      alarms.push(...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    // ActionPrefix matches by prefix: keep only the alarms whose action is this very topic.
    return alarms.filter((alarm) => alarm.AlarmActions?.includes(topicArn));
  } finally {
    cloudWatch.destroy();
  }
}

async function checkAlarms(target: Target): Promise<CheckResult> {
  const name = 'alarms';
  if (target.kind === 'local') {
    return {
      name,
      status: 'skip',
      detail:
        'the local stack has no CloudWatch alarms: the emulator evaluates no metrics, so an alarm there would prove nothing',
    };
  }
  if (target.alarmTopicArn === undefined) {
    return {
      name,
      status: 'fail',
      detail:
        'the stack has no AlarmTopicArn output, so its alarms cannot be found: deploy the current version',
    };
  }
  try {
    return judgeAlarms(await receiverAlarms(target, target.alarmTopicArn), target.alarmTopicArn);
  } catch (error) {
    return { name, status: 'fail', detail: `could not read the alarms: ${message(error)}` };
  }
}

async function checkDeadLetterQueue(target: Target): Promise<CheckResult> {
  const name = 'dead-letter queue';
  const sqs = new SQSClient(target.clientConfig);
  try {
    const { visible, inFlight } = await queueFacts(sqs, target.deadLetterQueueUrl);
    const total = visible + inFlight;
    if (total === 0) return { name, status: 'pass', detail: 'empty' };
    return {
      name,
      status: 'fail',
      detail: `${total} message${total === 1 ? '' : 's'}: see why with fpt-webhooks events list ${target.flags} --status DEAD_LETTERED, fix, then fpt-webhooks dlq redrive ${target.flags}`,
    };
  } catch (error) {
    return { name, status: 'fail', detail: `could not read ${target.deadLetterQueueUrl}: ${message(error)}` };
  } finally {
    sqs.destroy();
  }
}

/** Sends one marked test event per subscription, signed with its stored AWSCURRENT secret. */
async function checkCurrentSecrets(target: Target, accepted: Accepted[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const subscription of target.subscriptions) {
    const name = `current secret ${subscription}`;
    let secret: string;
    try {
      secret = await readCurrentSecret(target, subscription);
    } catch (error) {
      results.push({ name, status: 'fail', detail: message(error) });
      continue;
    }
    const envelope = buildTestEvent('contact.updated');
    const body = JSON.stringify(envelope);
    const sentAt = Date.now();
    const got = await postStatus(target.webhookUrl(subscription), body, sign(secret, body), target);
    const result = expectStatus(name, 202, got, 'a test event signed with the stored AWSCURRENT secret');
    if (result.status === 'pass') accepted.push({ subscription, secret, envelope, body, sentAt });
    results.push(result);
  }
  return results;
}

/** How often the wait for `processed` reports on stderr that it is still waiting. */
const PROGRESS_EVERY_MS = 5_000;

async function checkProcessed(
  target: Target,
  event: Accepted | undefined,
  timeoutSeconds: number,
  progress: (line: string) => void,
): Promise<CheckResult> {
  const name = 'processed';
  if (event === undefined) {
    return { name, status: 'fail', detail: 'no test event was accepted (see current secret above)' };
  }
  const eventId = event.envelope.eventId;
  const ledger = new LedgerReader(target);
  const deadline = event.sentAt + timeoutSeconds * 1000;
  let last: string | undefined;
  let nextProgress = event.sentAt + PROGRESS_EVERY_MS;
  try {
    while (Date.now() < deadline) {
      const row = await ledger.get(eventId);
      last = row?.status;
      if (Date.now() >= nextProgress) {
        const status = last === undefined ? 'not in the ledger yet' : displayStatus(last);
        progress(
          `  waiting for test event ${eventId}: ${status} (${seconds(Date.now() - event.sentAt)} of ${timeoutSeconds} s)`,
        );
        nextProgress += PROGRESS_EVERY_MS;
      }
      if (last === EVENT_STATUS.processed) {
        return {
          name,
          status: 'pass',
          detail: `test event ${eventId} reached processed in ${seconds(Date.now() - event.sentAt)}`,
        };
      }
      if (last === EVENT_STATUS.deadLettered) {
        return {
          name,
          status: 'fail',
          detail: `test event ${eventId} was dead-lettered (${row?.lastError ?? 'unknown error'}): the handler kept failing`,
        };
      }
      await sleep(250);
    }
  } catch (error) {
    return {
      name,
      status: 'fail',
      detail: `could not read the ledger ${target.tableName}: ${message(error)}`,
    };
  } finally {
    ledger.close();
  }
  return {
    name,
    status: 'fail',
    detail: `test event ${eventId} not processed after ${timeoutSeconds} s (last status: ${last === undefined ? 'not in the ledger' : displayStatus(last)})`,
  };
}

async function checkDuplicate(target: Target, event: Accepted | undefined): Promise<CheckResult> {
  const name = 'duplicate';
  if (event === undefined)
    return { name, status: 'fail', detail: 'no test event was accepted to send again' };
  // FPT signs each attempt afresh: the same body with a new signature is what a retry looks like.
  const got = await postStatus(
    target.webhookUrl(event.subscription),
    event.body,
    sign(event.secret, event.body),
    target,
  );
  return expectStatus(name, 200, got, `the same test event ${event.envelope.eventId} again`);
}

async function checkBadSignature(target: Target, subscription: string): Promise<CheckResult> {
  const body = JSON.stringify(buildTestEvent('contact.updated'));
  const got = await postStatus(target.webhookUrl(subscription), body, sign(strangerKey(), body), target);
  return expectStatus('bad signature', 401, got, 'a test event signed with another key');
}

async function checkUnknownSubscription(target: Target, subscription: string): Promise<CheckResult> {
  let unknown: string;
  do unknown = `acceptance-${randomBytes(4).toString('hex')}`;
  while (target.subscriptions.includes(unknown));
  const url = target.webhookUrl(subscription).replace(/\/webhooks\/[^/?#]+\/?$/, `/webhooks/${unknown}`);
  const body = JSON.stringify(buildTestEvent('contact.updated'));
  const got = await postStatus(url, body, sign(strangerKey(), body), target);
  return expectStatus('unknown subscription', 404, got, `a POST to /webhooks/${unknown}`);
}

async function checkOversize(target: Target, subscription: string): Promise<CheckResult> {
  // The receiver fixes the verifier's limit at MAX_BODY_BYTES (lib/config.ts), so one byte more is over
  // it on every stack. Signed with another key: even a verifier that forgot the limit would store nothing.
  const event = buildTestEvent('contact.updated');
  const shell = JSON.stringify({ ...event, padding: '' });
  const body = JSON.stringify({
    ...event,
    padding: 'x'.repeat(MAX_BODY_BYTES + 1 - Buffer.byteLength(shell)),
  });
  const got = await postStatus(target.webhookUrl(subscription), body, sign(strangerKey(), body), target);
  return expectStatus('oversize body', 413, got, `a ${Buffer.byteLength(body)}-byte body`);
}

export async function acceptance(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 'acceptance');
  if (values.help) {
    io.out(ACCEPTANCE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`acceptance takes no arguments, but got "${positionals.join(' ')}"`);
  }
  const timeoutSeconds = parseTimeout(values.timeout);
  const target = await resolveTarget(targetOptionsFrom(values));

  const results: CheckResult[] = [];
  const record = (...checks: CheckResult[]) => {
    for (const check of checks) {
      results.push(check);
      if (!values.json) io.out(formatCheck(check));
    }
  };
  if (!values.json) io.out(`acceptance of ${target.description}`);

  // State first, so this run's own requests (one bad signature among them) cannot colour it.
  record(...(await checkRotations(target)));
  record(await checkAlarms(target));
  record(await checkDeadLetterQueue(target));

  const accepted: Accepted[] = [];
  record(...(await checkCurrentSecrets(target, accepted)));
  const first = accepted[0];
  record(await checkProcessed(target, first, timeoutSeconds, (line) => io.err(line)));
  record(await checkDuplicate(target, first));
  const subscription = first?.subscription ?? target.subscriptions[0] ?? 'default';
  record(await checkBadSignature(target, subscription));
  record(await checkUnknownSubscription(target, subscription));
  record(await checkOversize(target, subscription));

  const counts = tally(results);
  if (values.json) {
    io.out(JSON.stringify({ target: target.description, checks: results, ...counts }, null, 2));
  } else {
    io.out(formatTally(counts));
  }
  return counts.failed > 0 ? 1 : 0;
}
