/**
 * `npm start`: the whole receiver on this machine. moto server stands in for DynamoDB, SQS and Secrets
 * Manager; a local HTTP server stands in for API Gateway in front of the real verifier handler; a poller
 * stands in for the Lambda SQS event source in front of the real processor handler.
 *
 * Knobs (environment): PORT (3000), FPT_EMULATOR_PORT (4566), FPT_SIGNING_SECRET (the `default`
 * subscription's secret; random when unset), FPT_LOCAL_VISIBILITY_TIMEOUT_SECONDS (10),
 * FPT_LOCAL_VERBOSE=1 or `--verbose` (show the handlers' JSON logs). See docs/local.md.
 */
import { parseArgs } from 'node:util';
import type { HandlerModule } from '../lambda/runtime';
import { secretValueProblem } from '../lambda/shared/secret-shape';
import {
  applyEnvironment,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_SERVER_PORT,
  LOCAL_HOST,
  localAwsEnvironment,
  portFromEnv,
} from './aws';
import { DeliveryView } from './delivery-view';
import { type Emulator, EmulatorError, startEmulator } from './emulator';
import { loadHandlerModule } from './handler-module';
import { LogCapture } from './log-capture';
import { VISIBILITY_OVERRIDE_ENV } from './poller';
import { loadReceiverConfig } from './provision';
import {
  generateSigningSecret,
  isValidPollerCount,
  MAX_POLLERS,
  type RunningLocalStack,
  runLocalStack,
} from './stack';
import { escapeControls } from './terminal-text';

/** Local default for the poller's visibility timeout: a failed event is retried after 10 s, not 180 s. */
export const DEFAULT_LOCAL_VISIBILITY_TIMEOUT_SECONDS = 10;

function help(command: string): string {
  const dashes = command === 'npm start' ? ' --' : '';
  return `Usage: ${command}${dashes} [--handlers FILE] [--verbose] [--pollers N]

Runs the FPT webhook receiver locally: AWS emulator (moto), local API, verifier and processor.

Options:
  --handlers FILE  your handler module (exports handlers and defaultHandler), as the construct's
                   handlers.entry names it (default: the example handlers in lambda/handlers)
  --verbose        also print the handlers' JSON logs (or set FPT_LOCAL_VERBOSE=1)
  --pollers N      processor pollers side by side, like Lambda's concurrent batches (1-${MAX_POLLERS}, default 1)
  --help           show this help

Environment:
  PORT                                  local API port (default ${DEFAULT_SERVER_PORT})
  FPT_EMULATOR_PORT                     emulator port (default ${DEFAULT_EMULATOR_PORT}); a running emulator is reused
  FPT_SIGNING_SECRET                    signing secret of subscription "default" (default: random, printed once)
  ${VISIBILITY_OVERRIDE_ENV}  seconds before a failed event is retried (default ${DEFAULT_LOCAL_VISIBILITY_TIMEOUT_SECONDS}; the queue's own is 6x the processor timeout)
`;
}

/** How a caller other than `npm start` runs the local stack: `fpt-webhooks local` in a partner's app. */
export interface StartLocalOptions {
  /**
   * The command shown in help and error messages.
   * @default 'npm start'
   */
  readonly command?: string;
  /**
   * Directory of the cdk.json whose `context.fpt` configures the receiver.
   * @default the package root (this repository)
   */
  readonly configRoot?: string;
  /**
   * Runs once the command line is valid, before anything starts: `fpt-webhooks local` installs the
   * emulator here, so a mistyped option costs no install.
   * @default - nothing
   */
  readonly prepare?: () => void;
}

function visibilityOverride(): number {
  const raw = process.env[VISIBILITY_OVERRIDE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_LOCAL_VISIBILITY_TIMEOUT_SECONDS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 43_200) {
    throw new Error(
      `${VISIBILITY_OVERRIDE_ENV} must be a whole number of seconds from 0 to 43200, but ${JSON.stringify(raw)} was provided`,
    );
  }
  return value;
}

function chooseSecrets(subscriptions: readonly string[]): Record<string, string> {
  const fromEnv = process.env.FPT_SIGNING_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    // The verifier would refuse this value (503 secret_malformed); say so before anything starts.
    const problem = secretValueProblem(fromEnv);
    if (problem !== undefined)
      throw new Error(`FPT_SIGNING_SECRET is not usable as an FPT secret: ${problem}`);
  }
  return Object.fromEntries(
    subscriptions.map((name) => [
      name,
      name === 'default' && fromEnv !== undefined && fromEnv !== '' ? fromEnv : generateSigningSecret(),
    ]),
  );
}

/** `npm start` and `fpt-webhooks local`: runs until Ctrl-C, then exits the process. */
export async function startLocal(argv: readonly string[], options: StartLocalOptions = {}): Promise<void> {
  const command = options.command ?? 'npm start';
  let values: { verbose?: boolean; help?: boolean; pollers?: string; handlers?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        handlers: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        pollers: { type: 'string', default: '1' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(
      `error: ${(error as Error).message} (see ${command}${command === 'npm start' ? ' --' : ''} --help)\n`,
    );
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(help(command));
    return;
  }
  const pollers = Number(values.pollers);
  if (!isValidPollerCount(pollers)) {
    process.stderr.write(
      `error: --pollers must be a whole number from 1 to ${MAX_POLLERS}, but got "${values.pollers}"\n`,
    );
    process.exit(2);
  }
  const verbose = values.verbose === true || ['1', 'true'].includes(process.env.FPT_LOCAL_VERBOSE ?? '');
  const serverPort = portFromEnv('PORT', DEFAULT_SERVER_PORT);
  const emulatorPort = portFromEnv('FPT_EMULATOR_PORT', DEFAULT_EMULATOR_PORT);
  const visibilityTimeoutSeconds = visibilityOverride();
  let config: ReturnType<typeof loadReceiverConfig>;
  let handlers: HandlerModule | undefined;
  try {
    options.prepare?.();
    config = loadReceiverConfig({}, options.configRoot);
    if (values.handlers !== undefined) handlers = await loadHandlerModule(values.handlers);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const say = (line = '') => process.stdout.write(`${line}\n`);
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[0m` : text);

  let emulator: Emulator | undefined;
  let running: RunningLocalStack | undefined;
  let view: DeliveryView | undefined;
  let stopping = false;
  const capture = new LogCapture(verbose);

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping...');
    const hardStop = setTimeout(() => process.exit(code || 1), 15_000);
    hardStop.unref();
    await running?.stop().catch(() => {});
    await view?.flush().catch(() => {});
    capture.uninstall();
    if (emulator !== undefined && !emulator.reused) await emulator.stop();
    say(emulator?.reused ? 'stopped (the emulator was already running and is left running)' : 'stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    emulator = await startEmulator({ port: emulatorPort });
    say(`emulator   ${emulator.url} (moto, ${emulator.reused ? 'already running, reused' : 'started'})`);
    // Only this process, and only the local stack: dummy credentials and the emulator's endpoint.
    applyEnvironment(localAwsEnvironment(emulator.url));

    const secrets = chooseSecrets(config.subscriptions.map((s) => s.name));
    capture.install();
    running = await runLocalStack({
      endpoint: emulator.url,
      config,
      serverPort,
      secrets,
      visibilityTimeoutSeconds,
      pollers,
      ...(handlers !== undefined ? { handlers } : {}),
      wrap: {
        verifier: (handler) => async (event, context) => {
          const arrivedAt = Date.now();
          const result = await capture.run(() => handler(event, context));
          const response = result.value;
          const structured = typeof response === 'object' && response !== null ? response : undefined;
          void view
            ?.verifierDone({
              arrivedAt,
              subscription: event.pathParameters?.subscription,
              statusCode: result.error !== undefined ? 500 : (structured?.statusCode ?? 200),
              ...(structured?.body !== undefined ? { responseBody: structured.body } : {}),
              logs: result.logs,
              ...(result.error !== undefined ? { error: result.error } : {}),
            })
            .catch(() => {});
          if (result.error !== undefined) throw result.error;
          return response as NonNullable<typeof response>;
        },
        processor: (handler) => async (event, context) => {
          const result = await capture.run(() => handler(event, context));
          if (result.error !== undefined) throw result.error;
          return result.value;
        },
      },
      onBatch: (batch) => view?.batchDone(batch),
      onPollError: (error) =>
        say(`poller: ${escapeControls((error as Error).message ?? String(error))} (retrying)`),
      onInvocationError: (error) =>
        say(`verifier: ${escapeControls((error as Error).name ?? 'error')} (answered 500)`),
    });
    const stack = running;
    view = new DeliveryView({ write: say, readRow: (id) => stack.readRow(id), color });

    say(`handlers   ${values.handlers ?? 'the example handlers (lambda/handlers)'}`);
    say(`ledger     ${stack.stack.tableName}`);
    say(`queue      ${stack.stack.queueUrl} (DLQ after ${config.maxReceiveCount} receives)`);
    say(
      `retries    failed events are received again after ${visibilityTimeoutSeconds} s (${VISIBILITY_OVERRIDE_ENV})`,
    );
    say();
    say(bold('Signing secrets (local only; shown once, also readable from the emulator):'));
    for (const [name, value] of Object.entries(secrets)) {
      // A secret the user chose is not echoed; a generated one is shown, since it exists nowhere else yet.
      const fromEnv = name === 'default' && process.env.FPT_SIGNING_SECRET;
      say(`  ${name.padEnd(16)} ${fromEnv ? '(from FPT_SIGNING_SECRET)' : value}`);
    }
    say();
    say(bold('Webhook URLs:'));
    for (const { name } of config.subscriptions) say(`  ${stack.webhookUrl(name)}`);
    say();
    say(
      `try: npx fpt-webhooks send-test-event --local --wait${serverPort !== DEFAULT_SERVER_PORT ? `   (with PORT=${serverPort})` : ''}`,
    );
    say(
      `logs: ${verbose ? 'handler JSON logs are shown (--verbose)' : "hidden; run with --verbose to see the handlers' JSON logs"}. Ctrl-C stops.`,
    );
    say();
  } catch (error) {
    capture.uninstall();
    if (error instanceof EmulatorError) process.stderr.write(`error: ${error.message}\n`);
    else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(
        `error: port ${serverPort} on ${LOCAL_HOST} is in use: stop what uses it or set PORT\n`,
      );
    } else process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    await running?.stop().catch(() => {});
    if (emulator !== undefined && !emulator.reused) await emulator.stop();
    process.exit(1);
  }
}

if (require.main === module) void startLocal(process.argv.slice(2));
