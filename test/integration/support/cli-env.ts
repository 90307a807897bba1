import { LOCAL_NAMESPACE_ENV } from '../../../cli/target';
import type { Harness } from './harness';

const VARIABLES = ['FPT_EMULATOR_PORT', 'PORT', LOCAL_NAMESPACE_ENV] as const;

/**
 * Points the CLI's `--local` target at the harness's own stack (namespace, emulator and API ports), so
 * these tests never touch the `local` namespace other files use. Returns a function that restores the
 * environment: jest may run another file in this worker afterwards.
 */
export function pointCliAt(harness: Harness): () => void {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  Object.assign(process.env, cliEnvironment(harness));
  return () => {
    for (const name of VARIABLES) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** The variables that select the harness's stack, for a CLI run as a child process. */
export function cliEnvironment(harness: Harness): Record<(typeof VARIABLES)[number], string> {
  return {
    FPT_EMULATOR_PORT: new URL(harness.emulatorUrl).port,
    PORT: String(harness.running.server.port),
    [LOCAL_NAMESPACE_ENV]: harness.running.stack.namespace,
  };
}
