import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../../lib/package-root';
import { CliError } from '../errors';
import type { Io } from '../io';

export const LOCAL_COMMAND = 'fpt-webhooks local';

/**
 * `fpt-webhooks local [--handlers FILE]`: `npm start` from a partner's own CDK app. The same emulator,
 * local API, poller and live view, configured by the `context.fpt` of the cdk.json in the current
 * directory, routing to the partner's handler module. The emulator is installed on first use into the
 * package's `.venv` (scripts/install-emulator.sh, pinned by requirements-dev.txt).
 *
 * It runs until Ctrl-C, which exits the process.
 */
export async function local(argv: readonly string[], _io: Io, cwd: string = process.cwd()): Promise<number> {
  const { startLocal } = await import('../../local/start');
  if (!argv.includes('--help') && !argv.includes('-h') && !existsSync(path.join(cwd, 'cdk.json'))) {
    throw new CliError(
      `no cdk.json in ${cwd}: run ${LOCAL_COMMAND} in your CDK app's directory (its context.fpt configures the receiver)`,
    );
  }
  await startLocal(argv, { command: LOCAL_COMMAND, configRoot: cwd, prepare: installEmulator });
  return 0;
}

/** The package's idempotent installer (scripts/install-emulator.sh); it prints its own progress. */
function installEmulator(): void {
  const install = spawnSync('bash', [path.join(PACKAGE_ROOT, 'scripts', 'install-emulator.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (install.status !== 0) throw new Error('the local AWS emulator could not be installed (see above)');
}
