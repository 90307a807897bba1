import { findFreePort, startEmulator } from '../../local/emulator';
import { EMULATOR_URL_ENV, type GlobalWithEmulator } from './support/emulator-env';

/**
 * Starts one moto server for the whole integration run, on a free port of 127.0.0.1. Its URL goes into
 * the environment, which the test workers inherit; each test file provisions its own namespaced
 * resources in it, so files can run in parallel.
 */
// biome-ignore lint/style/noDefaultExport: jest loads a globalSetup module through its default export
export default async function globalSetup(): Promise<void> {
  const emulator = await startEmulator({ port: await findFreePort() });
  process.env[EMULATOR_URL_ENV] = emulator.url;
  (globalThis as GlobalWithEmulator).__fptEmulator = emulator;
}
