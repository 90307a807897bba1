/**
 * `npm run test:example`: the library path as a partner walks it, outside this repository. Packs the
 * package (prepack builds dist/), copies examples/partner-app to a temporary folder, installs the tarball
 * there, and checks: the example compiles against the package's types, its handler unit test passes,
 * `cdk synth` works offline and puts the example's handlers in the processor's bundle, the CLI's bin works,
 * and one signed event goes through `fpt-webhooks local --handlers src/fpt-handlers.ts` to the example's
 * handler. Prints one line per check and `example-app: N passed, N failed`; exit 1 on any failure.
 *
 * The example's other dependencies are installed at the versions this repository is tested with (read
 * from node_modules), so the npm cache filled by `npm ci` serves them. The emulator venv of this
 * repository (`npm run emulator:install`, same requirements-dev.txt as the tarball's) is linked into the
 * installed package instead of installing moto a second time; a partner's first `fpt-webhooks local`
 * installs it from the tarball's requirements-dev.txt. KEEP_EXAMPLE_DIR=1 keeps the folder.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePort } from '../local/emulator';

const ROOT = path.resolve(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'partner-app');
const PACKAGE = 'fpt-webhook-receiver';
/** A string only the example's handler module logs (src/fpt-handlers.ts). */
const PARTNER_MARKER = 'partner-app received a test event';
/** A string only this package's example handlers log (lambda/handlers/). */
const EXAMPLE_HANDLERS_MARKER = 'test event: side effects skipped';
/** What a fresh install must hold at run time: the Lambda sources, the rotation code, the local stack. */
const SHIPPED_FILES = [
  'dist/lib/index.js',
  'dist/lib/index.d.ts',
  'dist/lambda/runtime.js',
  'dist/lambda/runtime.d.ts',
  'dist/cli/main.js',
  'cli/bin.cjs',
  'lambda/processor/handler.ts',
  'lambda/processor/partner-handler.ts',
  'lambda/verifier/handler.ts',
  'lambda/rotation/handler.ts',
  'lambda/shared/lambda-credentials.ts',
  'local/moto_server.py',
  'scripts/install-emulator.sh',
  'requirements-dev.txt',
];
/** The example's dependencies besides the package, at the versions installed here. */
const EXAMPLE_DEPENDENCIES = [
  'aws-cdk-lib',
  'constructs',
  'aws-cdk',
  'tsx',
  'typescript',
  '@types/node',
  '@aws-lambda-powertools/logger',
];

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ''): boolean {
  if (ok) passed++;
  else failed++;
  process.stdout.write(
    `${ok ? '✓' : '✗'} ${name}${ok || detail === '' ? '' : `\n    ${detail.trim().split('\n').slice(-15).join('\n    ')}`}\n`,
  );
  return ok;
}

const quietCdk = { CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true', CI: 'true' };

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): { ok: boolean; output: string } {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0, output };
}

function installedVersion(name: string): string {
  return (
    JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

/** The processor's bundle, found in the cloud assembly by the function's description. */
function processorBundle(app: string): string {
  const template = JSON.parse(
    readFileSync(path.join(app, 'cdk.out', 'AcmeWebhooks.template.json'), 'utf8'),
  ) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } }
    >;
  };
  const processor = Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith('Processes verified FPT'),
  );
  const key = processor?.Properties.Code?.S3Key;
  if (key === undefined) throw new Error('no processor function in the template');
  return readFileSync(path.join(app, 'cdk.out', `asset.${key.replace(/\.zip$/, '')}`, 'index.js'), 'utf8');
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return condition();
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function localRun(app: string): Promise<void> {
  const [serverPort, emulatorPort] = [await findFreePort(), await findFreePort()];
  const env = { PORT: String(serverPort), FPT_EMULATOR_PORT: String(emulatorPort) };
  let output = '';
  // node on the installed bin, not npx, so Ctrl-C (SIGINT) reaches the local stack itself.
  const local = spawn(
    process.execPath,
    [
      path.join(app, 'node_modules', PACKAGE, 'cli', 'bin.cjs'),
      'local',
      '--handlers',
      'src/fpt-handlers.ts',
      '--verbose',
    ],
    { cwd: app, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  local.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  local.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  try {
    const up = await waitFor(() => output.includes(`/webhooks/default`) || local.exitCode !== null, 120_000);
    if (
      !check(
        'fpt-webhooks local --handlers src/fpt-handlers.ts starts the local stack',
        up && local.exitCode === null,
        output,
      )
    ) {
      return;
    }
    const sent = run(
      'npx',
      ['--no-install', 'fpt-webhooks', 'send-test-event', '--local', '--type', 'contact.created', '--wait'],
      app,
      90_000,
      env,
    );
    check(
      'npx fpt-webhooks send-test-event --local --wait: a signed event is processed',
      sent.ok && sent.output.includes('processed'),
      sent.output,
    );
    const seen = await waitFor(() => output.includes(PARTNER_MARKER) && / → processed/.test(output), 10_000);
    check("the example's handler ran for it, shown in the live view", seen, output);
  } finally {
    await stop(local);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'fpt-example-'));
  const app = path.join(work, 'app');
  try {
    const pack = run('npm', ['pack', '--silent', '--pack-destination', work], ROOT, 300_000);
    const tarball = pack.output.trim().split('\n').pop() ?? '';
    if (
      !check(
        'npm pack builds and packs the package',
        pack.ok && existsSync(path.join(work, tarball)),
        pack.output,
      )
    )
      return;

    cpSync(EXAMPLE, app, {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|cdk\.out)$/.test(source),
    });
    const versions = EXAMPLE_DEPENDENCIES.map((name) => `${name}@${installedVersion(name)}`);
    const install = run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, tarball), ...versions],
      app,
      600_000,
    );
    if (!check('the tarball installs in a fresh CDK app', install.ok, install.output)) return;

    const installed = path.join(app, 'node_modules', PACKAGE);
    const missing = SHIPPED_FILES.filter((file) => !existsSync(path.join(installed, file)));
    check(
      'the tarball holds the compiled package, the Lambda and rotation sources and the local stack',
      missing.length === 0,
      `missing: ${missing.join(', ')}`,
    );
    check(
      'the CLI runs compiled from the tarball, without TypeScript sources',
      !existsSync(path.join(installed, 'cli', 'main.ts')),
    );

    const types = run('npx', ['--no-install', 'tsc', '--noEmit'], app, 180_000);
    check(
      "the example compiles against the package's types (constructs and runtime)",
      types.ok,
      types.output,
    );

    const unit = run('npx', ['--no-install', 'tsx', '--test', 'test/fpt-handlers.test.ts'], app, 120_000);
    check("the example's handler unit test passes", unit.ok && /# fail 0/.test(unit.output), unit.output);

    const synth = run(
      'npx',
      ['--no-install', 'cdk', 'synth', '--quiet', '--no-notices'],
      app,
      300_000,
      quietCdk,
    );
    if (check('npx cdk synth works offline in the example app', synth.ok, synth.output)) {
      const bundle = processorBundle(app);
      check(
        "the processor's bundle holds the example's handlers and not the package's example handlers",
        bundle.includes(PARTNER_MARKER) && !bundle.includes(EXAMPLE_HANDLERS_MARKER),
      );
    }

    const help = run('npx', ['--no-install', 'fpt-webhooks', '--help'], app, 60_000);
    check(
      'npx fpt-webhooks --help works in the example app',
      help.ok && help.output.includes('local'),
      help.output,
    );

    const venv = path.join(ROOT, '.venv');
    if (!check('the emulator is installed in this repository (npm run emulator:install)', existsSync(venv)))
      return;
    symlinkSync(venv, path.join(installed, '.venv'));
    await localRun(app);
  } finally {
    if (process.env.KEEP_EXAMPLE_DIR === '1') process.stdout.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
    process.stdout.write(`example-app: ${passed} passed, ${failed} failed\n`);
    process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
  }
}

void main();
