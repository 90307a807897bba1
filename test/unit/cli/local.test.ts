import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { local } from '../../../cli/commands/local';
import { CliError } from '../../../cli/errors';
import { captureOutput } from '../../support/capture-output';
import { captureIo, runCli } from '../../support/cli';

describe('fpt-webhooks local', () => {
  test('names --handlers in its help and lists the command in the main help', async () => {
    const output = captureOutput();
    let code: number;
    try {
      code = (await runCli(['local', '--help'])).code;
    } finally {
      output.restore();
    }
    const main = await runCli(['--help']);

    expect(code).toBe(0);
    expect(output.text()).toContain('Usage: fpt-webhooks local [--handlers FILE]');
    expect(main.out).toMatch(/^ {2}local +run the receiver on this machine/m);
  });

  test("refuses to start outside a CDK app's folder, saying where it looked", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'fpt-local-'));
    try {
      await expect(local(['--handlers', 'src/h.ts'], captureIo().io, empty)).rejects.toThrow(
        new CliError(
          `no cdk.json in ${empty}: run fpt-webhooks local in your CDK app's directory (its context.fpt configures the receiver)`,
        ),
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
