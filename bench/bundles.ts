/**
 * Builds the Lambda bundles the way CDK's NodejsFunction builds them for this project, with the esbuild
 * API instead of the CLI CDK spawns.
 *
 * - Our functions: tools/lambda-bundle.ts turns lib/webhook-function.ts's LAMBDA_BUNDLING into esbuild
 *   options (SDK bundled from its ES builds, the credential chain replaced by the environment provider,
 *   minified, source maps without sources), so what is measured is what `cdk deploy` ships.
 * - The naive bundle: NodejsFunction's defaults for a Node 18+ runtime: `@aws-sdk/*` external, loaded from
 *   the runtime's CommonJS clients (`@smithy/*` external too only with the feature flag
 *   `@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages`, read here from cdk.json).
 * - The `bundled` and `bundled_esm` modes are comparisons, not what ships.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { esbuildOptionsForLambda } from '../tools/lambda-bundle';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const OUT_DIR = path.join(PROJECT_ROOT, 'bench', 'out', 'bundles');

/** How the AWS SDK is treated. */
export type SdkMode =
  /**
   * As CDK builds it: for our functions, lib/webhook-function.ts's LAMBDA_BUNDLING (SDK bundled from its
   * ES builds, credential chain replaced); for the naive bundle, NodejsFunction's defaults
   * (`@aws-sdk/*` external, loaded from the runtime's CommonJS clients).
   */
  | 'external'
  /** CDK with `bundleAwsSDK: true`: the SDK inside the bundle, CommonJS builds (no tree shaking). */
  | 'bundled'
  /** As `bundled`, plus `mainFields: ['module', 'main']`: the SDK's ES builds, so esbuild tree-shakes. */
  | 'bundled_esm';

export const SDK_MODES: readonly SdkMode[] = ['external', 'bundled', 'bundled_esm'];

export interface BundleSpec {
  /** Directory name under bench/out/bundles and key prefix, e.g. `verifier`. */
  readonly name: string;
  /** Entry file relative to the project root. */
  readonly entry: string;
}

export const BUNDLES: readonly BundleSpec[] = [
  { name: 'verifier', entry: 'lambda/verifier/handler.ts' },
  { name: 'processor', entry: 'lambda/processor/handler.ts' },
  { name: 'naive', entry: 'bench/naive/handler.ts' },
];

export interface BuiltBundle {
  readonly name: string;
  readonly sdk: SdkMode;
  /** Absolute path of index.js. */
  readonly file: string;
  /** Size of index.js, the code Lambda loads (the .map beside it is read only with source maps on). */
  readonly bytes: number;
  readonly mapBytes: number;
}

/** True when cdk.json turns on the flag that also keeps `@smithy/*` out of bundles. */
export function smithyExcluded(root: string = PROJECT_ROOT): boolean {
  const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const flag = cdkJson.context?.['@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages'];
  return flag === true || flag === 'true';
}

/** The externals CDK passes for a Node 18+ runtime, or none when the SDK is bundled. */
export function externalsFor(sdk: SdkMode, root: string = PROJECT_ROOT): string[] {
  if (sdk !== 'external') return [];
  return smithyExcluded(root) ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
}

export async function buildBundle(spec: BundleSpec, sdk: SdkMode): Promise<BuiltBundle> {
  const dir = path.join(OUT_DIR, sdk === 'external' ? spec.name : `${spec.name}_sdk_${sdk}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.js');
  // Our functions in their CDK mode are built with the exact options lib/webhook-function.ts gives CDK;
  // the naive bundle gets NodejsFunction's defaults, as a first-time user would ship it.
  if (sdk === 'external' && spec.name !== 'naive') {
    await build({
      ...esbuildOptionsForLambda(),
      entryPoints: [path.join(PROJECT_ROOT, spec.entry)],
      outfile: file,
    });
  } else {
    await build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [path.join(PROJECT_ROOT, spec.entry)],
      bundle: true,
      target: 'node24',
      platform: 'node',
      outfile: file,
      minify: true,
      sourcemap: true,
      external: externalsFor(sdk),
      ...(sdk === 'bundled_esm' ? { mainFields: ['module', 'main'] } : {}),
      logLevel: 'silent',
    });
  }
  return {
    name: spec.name,
    sdk,
    file,
    bytes: statSync(file).size,
    mapBytes: existsSync(`${file}.map`) ? statSync(`${file}.map`).size : 0,
  };
}

export interface BundlesResult {
  /** `${name}` for the CDK default, `${name}_sdk_${mode}` otherwise -> bundle. */
  readonly bundles: Record<string, BuiltBundle>;
  /** Entries that could not be built (e.g. a function still being written), with the reason. */
  readonly skipped: Record<string, string>;
}

export async function buildAllBundles(log: (line: string) => void = () => {}): Promise<BundlesResult> {
  const bundles: Record<string, BuiltBundle> = {};
  const skipped: Record<string, string> = {};
  for (const spec of BUNDLES) {
    if (!existsSync(path.join(PROJECT_ROOT, spec.entry))) {
      skipped[spec.name] = `${spec.entry} does not exist yet`;
      log(`  ${spec.name}: skipped (${skipped[spec.name]})`);
      continue;
    }
    for (const sdk of SDK_MODES) {
      const key = sdk === 'external' ? spec.name : `${spec.name}_sdk_${sdk}`;
      try {
        const built = await buildBundle(spec, sdk);
        bundles[key] = built;
        log(`  ${key}: ${built.bytes} bytes (+ ${built.mapBytes} bytes of source map)`);
      } catch (error) {
        skipped[key] = (error as Error).message.split('\n')[0] ?? 'build failed';
        log(`  ${key}: not built (${skipped[key]})`);
      }
    }
  }
  return { bundles, skipped };
}
