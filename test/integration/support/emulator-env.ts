import type { Emulator } from '../../../local/emulator';

/** Set by global-setup for the test workers: the URL of the run's moto server. */
export const EMULATOR_URL_ENV = 'FPT_TEST_EMULATOR_URL';

export type GlobalWithEmulator = typeof globalThis & { __fptEmulator?: Emulator };

export function emulatorUrlFromEnv(): string {
  const url = process.env[EMULATOR_URL_ENV];
  if (url === undefined || url === '') {
    throw new Error(
      `${EMULATOR_URL_ENV} is not set: run the integration tests through jest's integration project (npx jest --selectProjects integration), whose global setup starts the emulator`,
    );
  }
  return url;
}
