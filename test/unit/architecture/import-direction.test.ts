import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type FolderRule,
  findViolations,
  readSourceFiles,
  rulesFromMap,
  type SourceFile,
} from './import-graph';

const ROOT = path.join(__dirname, '..', '..', '..');
const MAP = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** A small map of the same shape as docs/architecture.md's, for checking the checker. */
const RULES: FolderRule[] = [
  { folder: 'lambda', mayImport: [], mayLoadCdk: false },
  { folder: 'lib', mayImport: ['lambda'], mayLoadCdk: true },
  { folder: 'local', mayImport: ['lambda', 'lib', 'local/testkit'], mayLoadCdk: false },
  { folder: 'local/testkit', mayImport: ['lambda'], mayLoadCdk: false },
  { folder: 'scripts', mayImport: ['lambda', 'lib', 'local'], mayLoadCdk: true },
  { folder: 'test', mayImport: ['lambda', 'lib', 'local', 'scripts'], mayLoadCdk: true },
];

/** A tree that keeps every rule; each test adds one file to it. */
const CLEAN: SourceFile[] = [
  { path: 'lambda/shared/env.ts', source: "import { Logger } from '@aws-lambda-powertools/logger';\n" },
  { path: 'lib/config/index.ts', source: "import { ENV } from '../../lambda/shared/env';\n" },
  {
    path: 'lib/webhook-function.ts',
    source: "import { Validations } from 'aws-cdk-lib';\nimport { DEFAULTS } from './config';\n",
  },
  { path: 'local/provision.ts', source: "import { resolveConfig } from '../lib/config';\n" },
  {
    path: 'local/stack.ts',
    source: "import type { WebhookFunction } from '../lib/webhook-function';\nimport './provision';\n",
  },
  { path: 'local/testkit/signer.ts', source: "import { createHmac } from 'node:crypto';\n" },
  { path: 'scripts/soak.ts', source: "import { runLocalStack } from '../local/stack';\n" },
  { path: 'test/support/fake-ledger.ts', source: "import type { ENV } from '../../lambda/shared/env';\n" },
];

const withFile = (file: SourceFile): SourceFile[] => [...CLEAN, file];

describe('import direction (the checker)', () => {
  it('finds nothing wrong in a tree that keeps every rule, type-only imports of CDK modules included', () => {
    expect(findViolations(CLEAN, RULES)).toEqual([]);
  });

  it('reports lambda/ importing lib/', () => {
    const violations = findViolations(
      withFile({
        path: 'lambda/verifier/x.ts',
        source: "import { DEFAULT_CONFIG } from '../../lib/config';\n",
      }),
      RULES,
    );

    expect(violations).toEqual([
      'lambda/verifier/x.ts imports ../../lib/config: lambda/ may not import lib/',
    ]);
  });

  it('reports local/ loading aws-cdk-lib directly', () => {
    const violations = findViolations(
      withFile({ path: 'local/server.ts', source: "import { App } from 'aws-cdk-lib';\n" }),
      RULES,
    );

    expect(violations).toEqual([
      'local/server.ts loads aws-cdk-lib (local/server.ts -> aws-cdk-lib): local/ may not load aws-cdk-lib',
    ]);
  });

  it('reports local/ loading aws-cdk-lib through a lib/ module that imports it', () => {
    const violations = findViolations(
      withFile({
        path: 'local/poller.ts',
        source: "import { WebhookFunction } from '../lib/webhook-function';\n",
      }),
      RULES,
    );

    expect(violations).toEqual([
      'local/poller.ts loads aws-cdk-lib (local/poller.ts -> lib/webhook-function.ts -> aws-cdk-lib): local/ may not load aws-cdk-lib',
    ]);
  });

  it('reports a file outside test/ importing test/, by export-from, require and dynamic import too', () => {
    const violations = findViolations(
      withFile({
        path: 'scripts/burst.ts',
        source: [
          "export { FakeLedger } from '../test/support/fake-ledger';",
          "const a = require('../test/support/fake-ledger');",
          "const b = await import('../test/support/fake-ledger');",
        ].join('\n'),
      }),
      RULES,
    );

    expect(violations).toEqual(
      Array(3).fill('scripts/burst.ts imports ../test/support/fake-ledger: scripts/ may not import test/'),
    );
  });

  it('reports a type-only import against the direction, since the dependency is still there', () => {
    const violations = findViolations(
      withFile({
        path: 'lambda/shared/y.ts',
        source: "import type { ResourceSpec } from '../../lib/config';\n",
      }),
      RULES,
    );

    expect(violations).toEqual(['lambda/shared/y.ts imports ../../lib/config: lambda/ may not import lib/']);
  });

  it('treats a nested folder as its own: local/testkit/ may not import local/', () => {
    const violations = findViolations(
      withFile({ path: 'local/testkit/wait.ts', source: "import { runLocalStack } from '../stack';\n" }),
      RULES,
    );

    expect(violations).toEqual([
      'local/testkit/wait.ts imports ../stack: local/testkit/ may not import local/',
    ]);
  });

  it('reads the folder, its allowed imports and its CDK rule from a map row', () => {
    const rules = rulesFromMap(
      [
        '## Where things live',
        '',
        '| Folder | Responsibility | May import | May load aws-cdk-lib |',
        '| --- | --- | --- | --- |',
        '| `local/testkit/` | the testkit, not `test/` | `lambda/`, `lib/` (its pure modules) | no |',
        '| `bin/` | the app | `lib/` | yes |',
        '',
        '## Next section',
        '| `ignored/` | x | `lib/` | yes |',
      ].join('\n'),
    );

    expect(rules).toEqual([
      { folder: 'local/testkit', mayImport: ['lambda', 'lib'], mayLoadCdk: false },
      { folder: 'bin', mayImport: ['lib'], mayLoadCdk: true },
    ]);
  });
});

describe('import direction (this repository, against the map in docs/architecture.md)', () => {
  const rules = rulesFromMap(MAP);
  const files = readSourceFiles(ROOT);

  it('maps every top-level folder that holds code', () => {
    const codeFolders = new Set(files.filter((f) => f.path.includes('/')).map((f) => f.path.split('/')[0]));
    const mapped = new Set(rules.map((rule) => rule.folder.split('/')[0]));

    expect([...codeFolders].filter((folder) => !mapped.has(folder as string))).toEqual([]);
  });

  it('has no import the map does not allow', () => {
    expect(findViolations(files, rules)).toEqual([]);
  });

  it('has no import of test/ outside test/', () => {
    const outside = files.filter((file) => !file.path.startsWith('test/'));
    const intoTest = outside.filter((file) =>
      /(?:from\s+|import\(\s*|require\(\s*)['"](?:\.\.\/)+test\//.test(file.source),
    );

    expect(intoTest.map((file) => file.path)).toEqual([]);
  });
});
