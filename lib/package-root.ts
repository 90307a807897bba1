import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The package's name in package.json; the root is the directory whose package.json carries it. */
export const PACKAGE_NAME = 'fpt-webhook-receiver';

/**
 * The root of this package: the repository in development, `node_modules/fpt-webhook-receiver` when
 * installed. Code runs from the sources (`lib/`) or from the compiled `dist/lib/`, so the root is found
 * by walking up to our package.json rather than by a fixed number of `..`.
 */
export function findPackageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
    dir = parent;
  }
}

/** See {@link findPackageRoot}. */
export const PACKAGE_ROOT = findPackageRoot();
