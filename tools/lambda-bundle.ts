import * as path from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lib/webhook-function';

const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The esbuild options CDK's NodejsFunction derives from LAMBDA_BUNDLING for local bundling, so the
 * benchmarks and the bundle tests build exactly what `cdk deploy` ships.
 */
export function esbuildOptionsForLambda(): BuildOptions {
  const alias: Record<string, string> = {};
  for (const [flag, value] of Object.entries(LAMBDA_BUNDLING.esbuildArgs)) {
    const name = /^--alias:(.+)$/.exec(flag)?.[1];
    if (name !== undefined) alias[name] = value;
  }
  return {
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: LAMBDA_BUNDLING.target,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: LAMBDA_BUNDLING.bundleAwsSDK ? [] : ['@aws-sdk/*'],
    alias,
    logLevel: 'silent',
  };
}

/** Builds `lambda/<entry>` into `outfile` as CDK would. */
export async function buildLambdaBundle(entry: string, outfile: string): Promise<void> {
  await build({
    ...esbuildOptionsForLambda(),
    entryPoints: [path.join(PROJECT_ROOT, 'lambda', entry)],
    outfile,
  });
}
