import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');

/** Runs `local/start.ts` (what `npm start` runs after installing the emulator) with arguments that end it. */
function start(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/start.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm start: arguments', () => {
  it('documents --pollers in --help and exits 0', () => {
    const { status, stdout } = start('--help');
    expect(status).toBe(0);
    expect(stdout).toContain('--pollers N');
  });

  it.each(['0', '101', 'two', '1.5'])(
    'refuses --pollers %s with a clear message and exit code 2',
    (value) => {
      const { status, stderr } = start('--pollers', value);
      expect(status).toBe(2);
      expect(stderr).toBe(`error: --pollers must be a whole number from 1 to 100, but got "${value}"\n`);
    },
  );

  it('names an unknown option and points to --help instead of printing a stack trace', () => {
    const { status, stderr } = start('--verbos');
    expect(status).toBe(2);
    expect(stderr).toContain("Unknown option '--verbos'");
    expect(stderr).toContain('npm start -- --help');
    expect(stderr).not.toContain('    at ');
  });
});
