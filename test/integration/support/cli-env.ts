import type { Io } from '../../../cli/io';
import { main } from '../../../cli/main';
import { LOCAL_NAMESPACE_ENV } from '../../../cli/target';
import type { Harness } from './harness';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process; `stdin`, when given, is what a pipe would deliver. */
export async function cli(argv: readonly string[], stdin?: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    ...(stdin !== undefined
      ? {
          input: {
            isTTY: false,
            readAll: async () => stdin,
            readHidden: async () => {
              throw new Error('not a terminal');
            },
            readLine: async () => {
              throw new Error('not a terminal');
            },
          },
        }
      : {}),
  };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

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
