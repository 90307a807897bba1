import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { main } from '../../../cli/main';
import { STAGED_LABEL } from '../../../lambda/rotation/rotate';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { captureIo } from '../../support/cli';
import { FakeSecretsManager, fakeStack, STACK } from './support/fake-aws';

const OLD = 'old-fpt-secret-0123456789-abcdefghijklmnop';
const NEW = 'NewFptSecret_0123456789-abcdefghijklmnopqrs';
const TARGET = ['--stack', STACK, '--region', 'us-east-1'];

let sm: FakeSecretsManager;
let cfn: ReturnType<typeof fakeStack>;

beforeEach(() => {
  sm = new FakeSecretsManager(OLD, Date.parse('2026-08-01T00:00:00Z'));
  cfn = fakeStack();
});
afterEach(() => {
  sm.mock.restore();
  cfn.restore();
});

describe('fpt-webhooks secret set --stack', () => {
  it('stages the value, rotates through the rotation function, and says until when the old one works', async () => {
    // Prepare
    const { io, out } = captureIo(`${NEW}\n`);

    // Act
    const code = await main(['secret', 'set', 'default', ...TARGET], io);

    // Assess: FPT_STAGED first, then RotateSecret; AWSCURRENT is the new value, AWSPREVIOUS the old.
    expect(code).toBe(0);
    expect(sm.mock.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: `fpt-webhooks/${STACK}/default`,
      SecretString: NEW,
      VersionStages: [STAGED_LABEL],
    });
    expect(sm.mock.commandCalls(RotateSecretCommand)[0]?.args[0].input).toMatchObject({
      RotateImmediately: true,
    });
    expect(sm.valueWith('AWSCURRENT')).toBe(NEW);
    expect(sm.valueWith('AWSPREVIOUS')).toBe(OLD);
    expect(sm.versionWith(STAGED_LABEL)).toBeUndefined();
    const text = out.join('\n');
    expect(text).toMatch(
      /new secret is current \(set (\S+)\); previous secret accepted until (\S+) \(24 h grace\)/,
    );
    const [, setAt, until] =
      /set (\S+)\); previous secret accepted until (\S+)/.exec(text) ?? ([] as string[]);
    expect(Date.parse(until as string) - Date.parse(setAt as string)).toBe(24 * 3_600_000);
    expect(text).toContain(`send-test-event --stack ${STACK} --region us-east-1 --wait`);
  });

  it('never prints the secret, and never sends it anywhere but PutSecretValue', async () => {
    const capture = captureIo(`${NEW}\n`);

    await main(['secret', 'set', 'default', ...TARGET], capture.io);

    expect(capture.text()).not.toContain(NEW);
    expect(capture.text()).not.toContain(NEW.slice(0, 16));
    const carrying = sm.mock
      .calls()
      .filter((call) => JSON.stringify(call.args[0].input).includes(NEW))
      .map((call) => call.args[0].constructor.name);
    // The CLI's staging write, and the rotation function's AWSPENDING copy.
    expect(carrying).toEqual(['PutSecretValueCommand', 'PutSecretValueCommand']);
  });

  it('prompts without echo at a terminal and uses what was typed', async () => {
    const capture = captureIo(NEW, { tty: true });

    const code = await main(['secret', 'set', 'default', ...TARGET], capture.io);

    expect(code).toBe(0);
    expect(capture.prompts).toEqual([expect.stringContaining('it is not shown')]);
    expect(sm.valueWith('AWSCURRENT')).toBe(NEW);
  });

  it('says so and changes nothing when the value is already current', async () => {
    const { io, out } = captureIo(OLD);

    const code = await main(['secret', 'set', 'default', ...TARGET], io);

    expect(code).toBe(0);
    expect(out.join('\n')).toContain('already current');
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('reports no previous secret when the placeholder is replaced', async () => {
    sm.versions.set('v-initial', {
      value: SECRET_PLACEHOLDER,
      stages: ['AWSCURRENT'],
      createdAtMs: Date.parse('2026-08-01T00:00:00Z'),
    });
    const { io, out } = captureIo(NEW);

    expect(await main(['secret', 'set', 'default', ...TARGET], io)).toBe(0);
    expect(out.join('\n')).toContain('there is no previous secret to accept (it was the placeholder)');
  });

  it('uses the grace window the stack publishes', async () => {
    cfn.restore();
    cfn = fakeStack({ PreviousSecretGraceHours: '6' });
    const { io, out } = captureIo(NEW);

    await main(['secret', 'set', 'default', ...TARGET], io);

    expect(out.join('\n')).toContain('(6 h grace)');
  });

  it('fails with exit code 1 and a fix when the secret has no rotation function attached', async () => {
    sm.rotationEnabled = false;
    const { io, err } = captureIo(NEW);

    expect(await main(['secret', 'set', 'default', ...TARGET], io)).toBe(1);
    expect(err.join('\n')).toContain('has no rotation function attached: deploy the current version');
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('clears AWSPENDING left by a rotation that did not finish, then rotates', async () => {
    sm.versions.set('v-stuck', { value: 'x'.repeat(40), stages: ['AWSPENDING'], createdAtMs: 0 });
    const { io, out } = captureIo(NEW);

    expect(await main(['secret', 'set', 'default', ...TARGET], io)).toBe(0);
    expect(out.join('\n')).toContain('clearing AWSPENDING from version v-stuck');
    expect(sm.valueWith('AWSCURRENT')).toBe(NEW);
  });
});

describe('fpt-webhooks secret set: refusing bad input without echoing it', () => {
  it.each([
    ['too short', 'short-secret', '12 characters; FPT secrets have at least 32'],
    ['with a space inside', `${'a'.repeat(20)} ${'b'.repeat(20)}`, 'whitespace'],
    ['two lines', `${'a'.repeat(40)}\n${'b'.repeat(40)}\n`, 'whitespace'],
    ['the placeholder', SECRET_PLACEHOLDER, 'placeholder'],
    [
      'larger than Secrets Manager stores',
      'k'.repeat(65_537),
      '65537 bytes; Secrets Manager stores at most 65536',
    ],
    ['empty', '\n', 'no secret was given'],
  ])('refuses a value that is %s with exit code 2', async (_name, value, message) => {
    const capture = captureIo(value);

    const code = await main(['secret', 'set', 'default', ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.err.join('\n')).toContain(message);
    if (value.trim().length > 0) expect(capture.text()).not.toContain(value.trim().split(/\s/)[0]);
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it.each([
    ['an arrow key', `${'a'.repeat(40)}\u001b[D`],
    ['a bracketed-paste marker', `\u001b[200~${'a'.repeat(40)}\u001b[201~`],
    ['a C1 control', `${'a'.repeat(40)}\u009b`],
  ])('refuses a piped value holding %s, without quoting it', async (_name, value) => {
    const capture = captureIo(value);

    const code = await main(['secret', 'set', 'default', ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.err.join('\n')).toContain('control character');
    expect(capture.err.join('\n')).toContain('nothing was stored');
    expect(capture.text()).not.toContain('aaaaaaaa');
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it.each([
    ['an arrow key', `${NEW}[D`],
    ['a bracketed-paste marker', `[200~${NEW}[201~`],
    ['Ctrl-Right', `${NEW}[1;5C`],
  ])('refuses, at a terminal, a value holding the rest of %s whose ESC was lost', async (_name, value) => {
    const capture = captureIo(value, { tty: true });

    const code = await main(['secret', 'set', 'default', ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.err.join('\n')).toContain('terminal key code');
    expect(capture.err.join('\n')).toContain('pipe it in on stdin');
    expect(capture.text()).not.toContain(NEW.slice(0, 12));
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('takes a piped value with "[" and a letter as it is: no terminal sent it', async () => {
    const value = `${NEW}[D`;
    const capture = captureIo(value);

    const code = await main(['secret', 'set', 'default', ...TARGET], capture.io);

    expect(code).toBe(0);
    expect(sm.valueWith('AWSCURRENT')).toBe(value);
  });

  it('refuses a secret given as an extra argument, and does not print it', async () => {
    const capture = captureIo(NEW);

    const code = await main(['secret', 'set', 'default', NEW, ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.err.join('\n')).toContain('read from stdin only, never from the command line');
    expect(capture.text()).not.toContain(NEW);
    expect(sm.mock.calls()).toHaveLength(0);
  });

  it('refuses a secret given in place of the subscription name, and does not print it', async () => {
    const capture = captureIo(NEW);

    const code = await main(['secret', 'set', NEW, ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.text()).not.toContain(NEW);
  });

  it('refuses a well-formed but unknown subscription name without printing it', async () => {
    const capture = captureIo(NEW);
    const lowercase = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefgh';

    const code = await main(['secret', 'set', lowercase, ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.err.join('\n')).toContain('subscription must be one of "default"');
    expect(capture.text()).not.toContain(lowercase);
  });

  it('refuses, storing nothing, when the piped secret also appears on the command line', async () => {
    const capture = captureIo(NEW);

    const code = await main(['secret', 'set', 'default', '--stack', STACK, '--region', NEW], capture.io);

    expect(code).not.toBe(0);
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('does not echo an unknown option value such as --secret=<value>', async () => {
    const capture = captureIo(NEW);

    const code = await main(['secret', 'set', 'default', `--secret=${NEW}`, ...TARGET], capture.io);

    expect(code).toBe(2);
    expect(capture.err.join('\n')).toContain("Unknown option '--secret'");
    expect(capture.text()).not.toContain(NEW);
  });

  it('does not echo an unknown secret subcommand, which may be a misplaced secret', async () => {
    const capture = captureIo();

    expect(await main(['secret', NEW], capture.io)).toBe(2);
    expect(await main([NEW], capture.io)).toBe(2);
    expect(capture.text()).not.toContain(NEW);
  });

  it('fails with exit code 1 when there is no input at all', async () => {
    const capture = captureIo();

    expect(await main(['secret', 'set', 'default', ...TARGET], capture.io)).toBe(1);
    expect(capture.err.join('\n')).toContain('no input to read the secret from');
  });

  it('reads nothing from Secrets Manager before the command line is valid', async () => {
    const capture = captureIo(NEW);

    expect(await main(['secret', 'set', 'default', '--local', '--stack', STACK], capture.io)).toBe(2);
    expect(await main(['secret', 'set', 'default', ...TARGET, '--timeout', '1'], capture.io)).toBe(2);
    expect(sm.mock.calls()).toHaveLength(0);
    expect(sm.mock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
