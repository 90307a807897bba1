import * as fs from 'node:fs';
import * as path from 'node:path';

/** A source file of the repository: path relative to the root, with `/` separators. */
export interface SourceFile {
  readonly path: string;
  readonly source: string;
}

/** What one folder of the "where things live" map may import. */
export interface FolderRule {
  /** Folder relative to the root, e.g. `lambda` or `local/testkit`; the longest match owns a file. */
  readonly folder: string;
  /** Other folders of the map this one may import from (its own is always allowed). */
  readonly mayImport: readonly string[];
  /** Whether its code may load aws-cdk-lib (or constructs), directly or through what it imports. */
  readonly mayLoadCdk: boolean;
}

export interface ImportEdge {
  readonly from: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** For a relative specifier, the file it resolves to (or would, if it does not exist). */
  readonly target?: string;
  /** `import type` / `export type`: checked for direction, but loads nothing at run time. */
  readonly typeOnly: boolean;
}

const CDK_PACKAGES = ['aws-cdk-lib', 'constructs'];
const IMPORT_PATTERN =
  /(?:^|[\n;])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import, export-from, dynamic import and require of a file. */
export function importsOf(file: SourceFile, exists: (p: string) => boolean): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of file.source.matchAll(IMPORT_PATTERN)) {
    const specifier = match[3] ?? match[4];
    if (specifier === undefined) continue;
    const typeOnly = match[2] !== undefined;
    if (!specifier.startsWith('.')) {
      edges.push({ from: file.path, specifier, typeOnly });
      continue;
    }
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), specifier));
    const candidates = [base, `${base}.ts`, `${base}/index.ts`, `${base}.js`, `${base}.cjs`];
    const target = candidates.find(exists) ?? base;
    edges.push({ from: file.path, specifier, target, typeOnly });
  }
  return edges;
}

/** The rule whose folder is the longest prefix of `file`, if any. */
export function ruleFor(file: string, rules: readonly FolderRule[]): FolderRule | undefined {
  return rules
    .filter((rule) => file === rule.folder || file.startsWith(`${rule.folder}/`))
    .sort((a, b) => b.folder.length - a.folder.length)[0];
}

/**
 * Every import that breaks the map: a folder importing one it may not (anything outside test/ importing
 * test/ among them), or a folder that may not load aws-cdk-lib reaching it through its value imports,
 * however indirectly. Each violation is one line naming the file, the import and the rule.
 */
export function findViolations(files: readonly SourceFile[], rules: readonly FolderRule[]): string[] {
  const known = new Set(files.map((file) => file.path));
  const exists = (p: string) => known.has(p);
  const edges = new Map(files.map((file) => [file.path, importsOf(file, exists)]));
  const violations: string[] = [];

  for (const file of files) {
    const rule = ruleFor(file.path, rules);
    if (rule === undefined) continue;
    for (const edge of edges.get(file.path) ?? []) {
      if (edge.target === undefined) continue;
      const targetRule = ruleFor(edge.target, rules);
      if (targetRule === undefined || targetRule.folder === rule.folder) continue;
      // A nested folder (local/testkit) may be imported by its parent's code only if the map says so.
      if (!rule.mayImport.includes(targetRule.folder)) {
        violations.push(
          `${file.path} imports ${edge.specifier}: ${rule.folder}/ may not import ${targetRule.folder}/`,
        );
      }
    }
  }

  // Which files load aws-cdk-lib at run time, following value imports only.
  const loadsCdk = new Map<string, string | undefined>();
  const cdkPath = (file: string, seen: Set<string>): string | undefined => {
    if (loadsCdk.has(file)) return loadsCdk.get(file);
    if (seen.has(file)) return undefined;
    seen.add(file);
    let found: string | undefined;
    for (const edge of edges.get(file) ?? []) {
      if (edge.typeOnly) continue;
      if (edge.target === undefined) {
        if (CDK_PACKAGES.some((pkg) => edge.specifier === pkg || edge.specifier.startsWith(`${pkg}/`))) {
          found = `${file} -> ${edge.specifier}`;
          break;
        }
        continue;
      }
      const via = cdkPath(edge.target, seen);
      if (via !== undefined) {
        found = `${file} -> ${via}`;
        break;
      }
    }
    loadsCdk.set(file, found);
    return found;
  };
  for (const file of files) {
    const rule = ruleFor(file.path, rules);
    if (rule === undefined || rule.mayLoadCdk) continue;
    const chain = cdkPath(file.path, new Set());
    if (chain !== undefined) {
      violations.push(`${file.path} loads aws-cdk-lib (${chain}): ${rule.folder}/ may not load aws-cdk-lib`);
    }
  }
  return violations;
}

/**
 * The "Where things live" table of docs/architecture.md as rules: the first backticked folder of the
 * Folder column, the backticked folders of "May import", and "May load aws-cdk-lib" (yes/no).
 */
export function rulesFromMap(markdown: string): FolderRule[] {
  const section = markdown.split(/^## Where things live\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2);
  const folders = (cell: string) => [...cell.matchAll(/`([^`]+)\/`/g)].map((match) => match[1] as string);
  return rows.map((row) => {
    const cells = row.split('|').slice(1, -1);
    const [folder] = folders(cells[0] ?? '');
    if (folder === undefined || cells.length < 4) throw new Error(`unreadable map row: ${row}`);
    return {
      folder,
      mayImport: folders(cells[2] ?? ''),
      mayLoadCdk: (cells[3] ?? '').trim().toLowerCase().startsWith('yes'),
    };
  });
}

const SKIPPED = new Set(['node_modules', 'cdk.out', 'coverage', '.git', '.venv', 'dist']);

/** Every TypeScript and JavaScript file under `root`, outside build output and dependencies. */
export function readSourceFiles(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (/\.(c?js|ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push({ path: relative, source: fs.readFileSync(path.join(root, relative), 'utf8') });
      }
    }
  };
  walk('');
  return out;
}
