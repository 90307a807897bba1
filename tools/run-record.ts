/**
 * What a committed run record needs besides its figures: the machine it ran on, and the generated
 * section of a markdown file it replaces (docs/reliability.md, by scripts/fault-injection.ts and
 * scripts/soak.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  // The repository's formatter owns markdown layout (table padding); `npm run lint` checks it.
  try {
    execFileSync(process.execPath, [require.resolve('@biomejs/biome/bin/biome'), 'format', '--write', file], {
      stdio: 'ignore',
    });
  } catch {
    // Not fatal: the figures are written; `npm run lint:fix` formats them.
  }
}
