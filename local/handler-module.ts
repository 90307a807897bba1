import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { HandlerModule } from '../lambda/runtime';
import { CATALOG_EVENT_TYPES } from '../lambda/shared/fpt-events';

/**
 * Loads a partner's handler module (TypeScript or JavaScript) for the local stack, as `--handlers` names
 * it. It is bundled with esbuild, as the construct bundles it into the processor at synth, so the local
 * run needs no TypeScript loader and resolves imports the same way; then it is checked for the exports
 * the processor routes to, each problem named.
 * @throws Error when the file is missing, does not build, or lacks `handlers` or `defaultHandler`
 */
export async function loadHandlerModule(entry: string): Promise<HandlerModule> {
  const file = path.resolve(entry);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new Error(
      `--handlers: no file at ${file}; name the module that exports handlers and defaultHandler`,
    );
  }
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'fpt-webhooks-handlers-'));
  const outfile = path.join(outdir, 'handlers.cjs');
  try {
    try {
      await build({
        entryPoints: [file],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        sourcemap: 'inline',
        logLevel: 'silent',
      });
    } catch (error) {
      const detail = (error as { errors?: { text: string }[] }).errors?.map((e) => e.text).join('; ');
      throw new Error(`--handlers: ${entry} does not build: ${detail ?? (error as Error).message}`);
    }
    return checkHandlerModule(require(outfile) as Partial<HandlerModule>, entry);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The module itself when it routes every catalog type and has a default handler; else every problem. */
export function checkHandlerModule(module: Partial<HandlerModule>, entry: string): HandlerModule {
  const problems: string[] = [];
  const handlers = module.handlers as Record<string, unknown> | undefined;
  if (typeof handlers !== 'object' || handlers === null) problems.push('no export named handlers');
  else {
    const missing = CATALOG_EVENT_TYPES.filter((type) => typeof handlers[type] !== 'function');
    if (missing.length > 0) problems.push(`handlers has no function for ${missing.join(', ')}`);
  }
  if (typeof module.defaultHandler !== 'function') problems.push('no function exported as defaultHandler');
  if (problems.length > 0) throw new Error(`--handlers: ${entry}: ${problems.join('; ')}`);
  return module as HandlerModule;
}
