import type { GlobalWithEmulator } from './support/emulator-env';

/** Stops the emulator global-setup started. */
// biome-ignore lint/style/noDefaultExport: jest loads a globalTeardown module through its default export
export default async function globalTeardown(): Promise<void> {
  await (globalThis as GlobalWithEmulator).__fptEmulator?.stop();
}
