import { main } from '../../../cli/main';
import { captureIo } from '../../support/cli';

/** Every command, subcommand and its --help; bad command lines fail with 2 before anything is read. */
describe('fpt-webhooks command line', () => {
  it.each([
    [['--help']],
    [['secret', '--help']],
    [['secret', 'set', '--help']],
    [['secret', 'status', '--help']],
    [['send-test-event', '--help']],
    [['events', '--help']],
    [['events', 'get', '--help']],
    [['events', 'list', '--help']],
    [['events', 'replay', '--help']],
    [['dlq', '--help']],
    [['dlq', 'redrive', '--help']],
    [['doctor', '--help']],
    [['acceptance', '--help']],
  ])('prints help for %j and exits 0', async (argv) => {
    const { io, out } = captureIo();

    expect(await main(argv, io)).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: fpt-webhooks/);
  });

  it('lists every command in the main help', async () => {
    const { io, out } = captureIo();

    await main(['--help'], io);

    for (const command of [
      'secret set',
      'secret status',
      'send-test-event',
      'events get',
      'events list',
      'events replay',
      'dlq redrive',
      'doctor',
      'acceptance',
    ]) {
      expect(out.join('\n')).toContain(command);
    }
  });

  it.each([
    [['events', 'list', '--local', '--status', 'DONE'], '--status must be one of received, enqueued'],
    [['events', 'list', '--local', '--limit', '0'], '--limit must be a whole number from 1 to 1000'],
    [['events', 'list', '--local', '--limit', 'ten'], '--limit must be a whole number'],
    [['events', 'list', '--local', 'extra'], 'events list takes no arguments'],
    [['events', 'replay', '--local', '--reason', 'fix'], 'give the eventIds to replay'],
    [['events', 'replay', 'xyz', '--local', '--reason', 'fix'], 'eventId must be 32 hex characters'],
    [['events', 'replay', 'a'.repeat(32), '--local'], '--reason TEXT is required'],
    [['events', 'replay', 'a'.repeat(32), '--local', '--reason', ' '], '--reason: the reason is empty'],
    [['events', 'replay', 'a'.repeat(32), '--local', '--reason', 'a\nb'], 'a line break'],
    [['events', 'replay', 'a'.repeat(32), '--local', '--reason', 'x'.repeat(201)], 'at most 200'],
    [['events', 'replay', 'a'.repeat(32), '--local', '--reason', 'x', '--rate', '0'], '--rate must be'],
    [['events', 'replay', 'a'.repeat(32), '--local', '--reason', 'x', '--rate', 'fast'], '--rate must be'],
    [['events', 'replay', 'a'.repeat(32), '--local', '--reason', 'x', '--rate', '501'], '--rate must be'],
    [['events', 'replay', 'a'.repeat(32), '--reason', 'x'], 'choose a target'],
    [['events', 'replay', '--resume', 'last', '--local'], '--resume takes a run id'],
    [['events', 'replay', 'a'.repeat(32), '--since', '1d', '--local', '--reason', 'x'], 'not both'],
    [['events', 'replay', '--since', 'yesterday', '--local', '--reason', 'x'], '--since must be an ISO-8601'],
    [['events', 'replay', '--status', 'invalid_envelope', '--local', '--reason', 'x'], 'cannot be replayed'],
    [['events', 'replay', '--resume', '20260101T120000Z-0a1b2c', '--type', 'a.b', '--local'], 'drop --type'],
    [
      ['events', 'replay', 'a'.repeat(32), '--resume', '20260101T120000Z-0a1b2c', '--local'],
      'drop event ids',
    ],
    [
      ['events', 'replay', '--resume', '20260101T120000Z-0a1b2c', '--reason', 'x', '--local'],
      'drop --reason',
    ],
    [['dlq', 'redrive', '--local', '--max', '0', '--yes'], '--max must be a whole number from 1 to 100000'],
    [['dlq', 'redrive', '--local'], 'stdin is not a terminal: add --yes'],
    [['dlq', 'purge'], 'unknown dlq command "purge"'],
    [['doctor', '--local', 'now'], 'doctor takes no arguments'],
    [['doctor'], 'choose a target'],
    [['acceptance'], 'choose a target'],
    [['acceptance', '--local', 'now'], 'acceptance takes no arguments'],
    [['acceptance', '--local', '--timeout', '0'], '--timeout must be a number of seconds from 1 to 900'],
    [['acceptance', '--local', '--timeout', 'soon'], '--timeout must be a number of seconds from 1 to 900'],
    [['acceptance', '--local', '--stack', 'X'], 'not both'],
    [['secret', 'status', '--local', 'default'], 'secret status takes no arguments'],
    [['secret', 'status', '--local', '--stack', 'X'], 'not both'],
    [['secret', 'set', '--local'], 'secret set needs the subscription name'],
    [['secret', 'set', 'default', '--local', '--timeout', 'soon'], '--timeout must be a number of seconds'],
    [['secret', 'set', 'default', '--stack', 'bad name!'], '--stack must be a CloudFormation stack name'],
    [['secret'], 'Usage: fpt-webhooks secret'],
    [['dlq'], 'Usage: fpt-webhooks dlq'],
  ])('fails with exit code 2 for %j and says why', async (argv, message) => {
    const capture = captureIo();

    expect(await main(argv, capture.io)).toBe(2);
    expect([...capture.out, ...capture.err].join('\n')).toContain(message);
  });

  it('accepts --status in any letter case', async () => {
    // The target is missing, so the command stops there: after --status was accepted.
    const capture = captureIo();

    expect(await main(['events', 'list', '--status', 'dead_lettered'], capture.io)).toBe(2);
    expect(capture.err.join('\n')).toContain('choose a target');
  });
});
