/**
 * Committed run records: small JSON files (bench/results/, reliability/results/) holding what a script
 * measured, with the date, machine, commit and command. The docs' figures are rendered from them
 * (tools/doc-blocks.ts), never typed: the script that writes a record renders its doc blocks, and
 * test/unit/doc-blocks.test.ts fails when a block and its records disagree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What a number was measured on: CPU, cores, memory, OS, Node.js and the emulator version. */
export function describeMachine(projectRoot: string): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  let moto = 'moto (version unknown)';
  const requirements = path.join(projectRoot, 'requirements-dev.txt');
  if (existsSync(requirements)) {
    const pin = /moto\[server\]==([\w.]+)/.exec(readFileSync(requirements, 'utf8'));
    if (pin) moto = `moto ${pin[1]}`;
  }
  return (
    `${model}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    `${os.type()} ${os.release()} (${os.arch()}), Node.js ${process.version}, ${moto} (server mode, on 127.0.0.1)`
  );
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a markdown file, or
 * appends the marked section when it is not there yet.
 */
export function updateMarkdownSection(
  file: string,
  name: string,
  content: string,
  fallbackHeader = '',
): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${content.trim()}\n${end}`;
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : fallbackHeader;
  const from = existing.indexOf(start);
  const to = existing.indexOf(end);
  const next =
    from !== -1 && to > from
      ? `${existing.slice(0, from)}${block}${existing.slice(to + end.length)}`
      : `${existing.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
  formatWithBiome(file);
}

/** The repository's formatter owns markdown and JSON layout (`npm run lint` checks it). */
export function formatWithBiome(file: string): void {
  try {
    execFileSync(process.execPath, [require.resolve('@biomejs/biome/bin/biome'), 'format', '--write', file], {
      stdio: 'ignore',
    });
  } catch {
    // Not fatal: the figures are written; `npm run lint:fix` formats them.
  }
}

/** One run of a script, as committed. `figures` is whatever the script measured (JSON values only). */
export interface RunRecord<F = Record<string, unknown>> {
  /** Which script and which block family: `bench`, `fault-injection`, `burst`, `soak`, ... */
  readonly kind: string;
  /** When the run started, ISO 8601 UTC. */
  readonly date: string;
  readonly machine: string;
  /** The commit the run measured (`-dirty` when the worktree had changes outside docs/ and the records). */
  readonly commit: string;
  /** The command that reproduces it, e.g. `npm run bench -- --quick`. */
  readonly command: string;
  /** Why the run is the size it is, or anything else the reader must know (e.g. a shared machine). */
  readonly note?: string;
  readonly figures: F;
}

/** The commit being measured, from git; `unknown` outside a git checkout. */
export function currentCommit(projectRoot: string): string {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, {
        cwd: projectRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const commit = run(['rev-parse', '--short=12', 'HEAD']);
    // Generated docs and records change while runs write them; only other changes make a run unrepeatable.
    const changed = run([
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      '.',
      ':!docs',
      ':!bench/results',
      ':!reliability/results',
    ]);
    return changed === '' ? commit : `${commit}-dirty`;
  } catch {
    return 'unknown';
  }
}

/** A record of a run that started at `startedAt` on `commit` (read it with currentCommit when the run starts). */
export function newRunRecord<F>(
  projectRoot: string,
  fields: { kind: string; command: string; startedAt: Date; commit: string; note?: string; figures: F },
): RunRecord<F> {
  return {
    kind: fields.kind,
    date: fields.startedAt.toISOString(),
    machine: describeMachine(projectRoot),
    commit: fields.commit,
    command: fields.command,
    ...(fields.note === undefined ? {} : { note: fields.note }),
    figures: fields.figures,
  };
}

/** Drops `--name value` and `--name=value` from argv (e.g. a note, which the record keeps apart). */
export function withoutOption(argv: readonly string[], name: string): string[] {
  return argv.filter(
    (arg, i) => arg !== `--${name}` && !arg.startsWith(`--${name}=`) && argv[i - 1] !== `--${name}`,
  );
}

/** Writes `<dir>/<kind>-<date>.json` (colons out of the name) and returns its path. */
export function writeRunRecord(dir: string, record: RunRecord<unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${record.kind}-${record.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  formatWithBiome(file);
  return file;
}

/** Every record of `kind` in `dir`, oldest first. */
export function readRunRecords<F = Record<string, unknown>>(dir: string, kind: string): RunRecord<F>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${kind}-`) && name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as RunRecord<F>)
    .filter((record) => record.kind === kind)
    .sort((a, b) => a.date.localeCompare(b.date));
}

/** One line naming a record: date, command, commit, machine and note. */
export function describeRecord(record: RunRecord<unknown>): string {
  return (
    `${record.date.slice(0, 16).replace('T', ' ')} UTC, \`${record.command}\` at ${record.commit}, on ${record.machine}` +
    (record.note ? `. ${record.note}` : '')
  );
}

/**
 * A figure over several runs: the value when they agree, `low–high` when they do not. `format` turns
 * one number into text (the default: thousands separators, two decimals below 10).
 */
export function figureRange(values: readonly (number | undefined)[], format = formatNumber): string {
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (known.length === 0) return 'not measured';
  const low = Math.min(...known);
  const high = Math.max(...known);
  const text = format(low) === format(high) ? format(low) : `${format(low)}–${format(high)}`;
  return known.length < values.length ? `${text} (${known.length} of ${values.length} runs)` : text;
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}
