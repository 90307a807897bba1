import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretValueProblem } from '../../lambda/shared/secret-shape';
import { CliError, UsageError } from '../errors';
import { hiddenInputProblem, type Io } from '../io';
import { formatTime, readSecretState, type SecretState, storeSecret } from '../signing-secrets';
import { resolveTarget, TARGET_HELP, TARGET_OPTIONS, type Target, targetOptionsFrom } from '../target';
import { parseCommandArgs } from './parse';

export const SECRET_HELP = `Usage: fpt-webhooks secret <command>

Commands:
  set <subscription>   store a new FPT signing secret, read from stdin (never from the command line)
  status               per subscription: configured, when set, previous secret's grace, rotation due

Run fpt-webhooks secret <command> --help for its options. Runbook: docs/runbooks/rotate-secret.md`;

export const SECRET_SET_HELP = `Usage: fpt-webhooks secret set <subscription> (--local | --stack NAME) [--timeout SECONDS]

Stores a new signing secret of one FPT subscription, e.g. right after Rotate Key in FPT.

The secret is read from stdin only, never from the command line. At a terminal you are prompted and
nothing you paste is echoed; arrow and other special keys, and paste markers, are not part of the value.
Otherwise pipe it in (for example from a password manager). FPT secrets have 32 or more characters, no
whitespace and no control characters; one trailing newline of piped input is ignored.

It takes the rotation path, so it leaves the same audit trail as a scheduled rotation: the value is
staged as FPT_STAGED, the rotation steps make it AWSCURRENT, and the old value becomes AWSPREVIOUS, which
the verifier still accepts for the grace window (previousSecretGraceHours, default 24). A deployed stack
runs the rotation function (the command waits); the local stack runs the same steps in-process.

Options:
  --timeout SECONDS   how long to wait for the rotation function (default 60)
  --help              show this help

${TARGET_HELP}

Exit codes: 0 stored (or already current), 1 failed, 2 bad command line or unusable secret.`;

export const SECRET_STATUS_HELP = `Usage: fpt-webhooks secret status (--local | --stack NAME) [--subscription NAME] [--json]

Shows, per subscription: whether the secret is configured (the placeholder counts as not configured)
and has FPT's shape (32 or more characters, no whitespace: the verifier refuses a malformed one), when
the current value was set, until when the previous value is still accepted, the rotation schedule, and
whether rotation is due (older than the schedule, a scheduled rotation that did not complete, a
"secret set" that did not finish, or a value staged more than 24 h ago, which a rotation will not
promote). Secret values are never shown.

Options:
  --subscription NAME   only this subscription
  --json                print a JSON array
  --help                show this help

${TARGET_HELP}`;

const SET_OPTIONS = {
  ...TARGET_OPTIONS,
  timeout: { type: 'string', default: '60' },
  help: { type: 'boolean', default: false },
} as const;

const STATUS_OPTIONS = {
  ...TARGET_OPTIONS,
  subscription: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const SUBSCRIPTION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
const HOUR_MS = 3_600_000;

function parseTimeout(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 5 || seconds > 900) {
    throw new UsageError(`--timeout must be a number of seconds from 5 to 900, but "${raw}" was provided`);
  }
  return seconds;
}

/** Reads the secret: hidden prompt at a terminal, all of stdin otherwise. Never from argv. */
async function readSecretValue(io: Io, subscription: string, target: Target): Promise<string> {
  const input = io.input;
  if (input === undefined) {
    throw new CliError('there is no input to read the secret from: pipe it in, or run this at a terminal');
  }
  const value = input.isTTY
    ? await input.readHidden(
        `Paste the new signing secret of "${subscription}" (${target.description}); it is not shown: `,
      )
    : // `echo "$SECRET" | ...` and files end in a newline that is not part of the secret.
      (await input.readAll()).replace(/\r?\n$/, '');
  const problem = hiddenInputProblem(value, input.isTTY);
  if (problem !== undefined) {
    throw new UsageError(`the secret is not usable, and nothing was stored: ${problem}`);
  }
  return value;
}

async function secretSet(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SET_OPTIONS, 'secret set');
  if (values.help) {
    io.out(SECRET_SET_HELP);
    return 0;
  }
  // Nothing given on the command line is ever echoed here: it may be the secret.
  if (positionals.length === 0) {
    throw new UsageError(
      'secret set needs the subscription name, e.g. fpt-webhooks secret set default --stack NAME (see --help)',
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(
      'secret set takes one argument, the subscription name: the secret is read from stdin only, never from the command line. The extra argument was not used and is not shown; if it was the secret, it is now in your shell history: delete it there',
    );
  }
  const subscription = positionals[0] as string;
  if (!SUBSCRIPTION_NAME.test(subscription)) {
    throw new UsageError(
      'the subscription name is not valid (it is not shown, in case it is the secret): names are lowercase letters, digits and dashes, e.g. default',
    );
  }
  const timeoutSeconds = parseTimeout(values.timeout);
  const target = await resolveTarget(targetOptionsFrom(values));
  if (!target.subscriptions.includes(subscription)) {
    throw new UsageError(
      `subscription must be one of ${target.subscriptions.map((s) => `"${s}"`).join(', ')}; the name given is not one of them (not shown, in case it is the secret)`,
    );
  }

  const value = await readSecretValue(io, subscription, target);
  if (value === '') {
    throw new UsageError('no secret was given: paste it at the prompt, or pipe it in on stdin');
  }
  const problem = secretValueProblem(value);
  if (problem !== undefined) throw new UsageError(`the secret is not usable: ${problem}`);
  if (argv.some((arg) => arg.includes(value))) {
    throw new UsageError(
      'the secret also appears on the command line, where shell history and the process list keep it: nothing was stored. Rotate the key in FPT again and pass the new one on stdin only',
    );
  }

  const client = new SecretsManagerClient(target.clientConfig);
  try {
    io.out(`setting the signing secret of "${subscription}" (${target.description})`);
    const result = await storeSecret({
      client,
      target,
      subscription,
      value,
      progress: (line) => io.out(line),
      timeoutMs: timeoutSeconds * 1000,
    });
    if (!result.changed) {
      io.out(
        `this secret is already current (set ${formatTime(result.setAtMs)}): nothing changed. Did Rotate Key in FPT show a new one?`,
      );
      return 0;
    }
    const previous =
      result.previousAcceptedUntilMs === undefined
        ? 'there is no previous secret to accept (it was the placeholder)'
        : `previous secret accepted until ${formatTime(result.previousAcceptedUntilMs)} (${target.previousSecretGraceHours} h grace)`;
    io.out(`new secret is current (set ${formatTime(result.setAtMs)}); ${previous}`);
    const subscriptionFlag = subscription === 'default' ? '' : ` --subscription ${subscription}`;
    io.out(`next: npx fpt-webhooks send-test-event ${target.flags}${subscriptionFlag} --wait`);
    return 0;
  } finally {
    client.destroy();
  }
}

function ago(ms: number, nowMs: number): string {
  const days = Math.floor((nowMs - ms) / (24 * HOUR_MS));
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'} ago`;
  const hours = Math.floor((nowMs - ms) / HOUR_MS);
  if (hours >= 1) return `${hours} h ago`;
  return 'less than an hour ago';
}

function statusLines(state: SecretState, nowMs: number): string[] {
  const row = (name: string, value: string) => `  ${name.padEnd(19)}${value}`;
  const previous = !state.hasPrevious
    ? 'no previous secret'
    : state.previousAcceptedUntilMs === undefined
      ? 'unknown'
      : `${state.previousAcceptedNow ? 'accepted until' : 'no longer accepted: grace ended'} ${formatTime(state.previousAcceptedUntilMs)}`;
  const rotation = state.rotationEnabled
    ? `every ${state.maxAgeDays} days${state.nextRotationAtMs !== undefined ? `, next scheduled ${formatTime(state.nextRotationAtMs)}` : ''}`
    : `no schedule on this secret; due after ${state.maxAgeDays} days`;
  return [
    `${state.subscription}  (${state.secretId})`,
    row(
      'configured',
      !state.configured
        ? 'NO (placeholder): deliveries get 503 until it is set'
        : state.currentProblem !== undefined
          ? `MALFORMED (${state.currentProblem}): deliveries get 503 until it is set again`
          : 'yes',
    ),
    row(
      'current set',
      state.currentSetAtMs === undefined
        ? 'unknown'
        : `${formatTime(state.currentSetAtMs)} (${ago(state.currentSetAtMs, nowMs)})`,
    ),
    row('previous secret', previous),
    row('rotation', rotation),
    ...(state.lastRotatedAtMs !== undefined ? [row('last rotated', formatTime(state.lastRotatedAtMs))] : []),
    row('rotation due', state.dueReasons.length === 0 ? 'no' : `YES: ${state.dueReasons.join('; ')}`),
  ];
}

function stateToJson(state: SecretState): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    subscription: state.subscription,
    secretId: state.secretId,
    configured: state.configured,
    currentSetAt: iso(state.currentSetAtMs),
    hasPrevious: state.hasPrevious,
    previousAcceptedUntil: iso(state.previousAcceptedUntilMs),
    previousAcceptedNow: state.previousAcceptedNow,
    rotationEnabled: state.rotationEnabled,
    maxAgeDays: state.maxAgeDays,
    nextRotationAt: iso(state.nextRotationAtMs),
    lastRotatedAt: iso(state.lastRotatedAtMs),
    currentMalformed: state.currentProblem ?? null,
    previousMalformed: state.previousProblem ?? null,
    stagedAt: iso(state.stagedAtMs),
    stagedStale: state.stagedStale,
    rotationDue: state.dueReasons.length > 0,
    dueReasons: state.dueReasons,
  };
}

async function secretStatus(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, STATUS_OPTIONS, 'secret status');
  if (values.help) {
    io.out(SECRET_STATUS_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `secret status takes no arguments, but got ${positionals.length} (use --subscription NAME for one subscription)`,
    );
  }
  const target = await resolveTarget(targetOptionsFrom(values));
  const wanted = values.subscription;
  if (wanted !== undefined && !target.subscriptions.includes(wanted)) {
    target.secretId(wanted); // throws the usual "must be one of" usage error
  }
  const subscriptions = wanted === undefined ? target.subscriptions : [wanted];
  const client = new SecretsManagerClient(target.clientConfig);
  const nowMs = Date.now();
  try {
    const states: SecretState[] = [];
    for (const subscription of subscriptions) {
      states.push(await readSecretState(client, target, subscription, nowMs));
    }
    if (values.json) {
      io.out(JSON.stringify(states.map(stateToJson), null, 2));
      return 0;
    }
    io.out(
      `signing secrets of ${target.description} (previous secret grace: ${target.previousSecretGraceHours} h)`,
    );
    for (const state of states) {
      io.out('');
      for (const line of statusLines(state, nowMs)) io.out(line);
    }
    return 0;
  } finally {
    client.destroy();
  }
}

export async function secret(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(SECRET_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'set') return secretSet(rest, io);
  if (sub === 'status') return secretStatus(rest, io);
  // Not echoed: a secret typed in the wrong place must not end up in the terminal's scrollback too.
  throw new UsageError('unknown secret command; commands: set, status (see fpt-webhooks secret --help)');
}
