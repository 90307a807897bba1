import { EVENT_STATUS } from '../../lambda/shared/ledger-schema';
import { runCli } from '../support/cli';
import { pointCliAt } from './support/cli-env';
import { fptBody, type Harness, sleep, startHarness } from './support/harness';

jest.setTimeout(60_000);

const PII = 'pii-sentinel@example.com';

describe('fpt-webhooks events list --local', () => {
  let harness: Harness;
  let restoreEnv: () => void;
  const processed: string[] = [];
  let failing = '';

  beforeAll(async () => {
    harness = await startHarness({
      name: 'events-list',
      // A failed event is retried after 30 s: it stays FAILED (not DEAD_LETTERED) while these tests run.
      visibilityTimeoutSeconds: 30,
      countHandlerCalls: true,
      behaviour: (event) => {
        if (event.eventId === failing) throw new Error('downstream system unavailable');
      },
    });
    restoreEnv = pointCliAt(harness);

    // Three processed events, a few ms apart so receivedAt orders them.
    for (const type of ['contact.created', 'contact.updated', 'contact.status_changed']) {
      const body = fptBody(type);
      const { eventId } = JSON.parse(body) as { eventId: string };
      expect((await harness.deliver(body)).status).toBe(202);
      await harness.waitForStatus(eventId, EVENT_STATUS.processed);
      processed.push(eventId);
      await sleep(20);
    }
    // One authentic delivery whose envelope is invalid: parked, with personal data in its body.
    expect((await harness.deliver(JSON.stringify({ email: PII, eventType: 'NotAType' }))).status).toBe(202);
    // One that keeps failing: FAILED after its first attempt.
    const body = fptBody('contact.deleted');
    failing = (JSON.parse(body) as { eventId: string }).eventId;
    expect((await harness.deliver(body)).status).toBe(202);
    await harness.waitForStatus(failing, EVENT_STATUS.failed);
  });
  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  it('lists events newest first, without parked or ordering rows, up to --limit', async () => {
    const result = await runCli(['events', 'list', '--local', '--limit', '3', '--json']);

    expect(result.code).toBe(0);
    const rows = JSON.parse(result.out) as { eventId: string; status: string; receivedAt: number }[];
    expect(rows.map((r) => r.eventId)).toEqual([failing, processed[2], processed[1]]);
    expect(rows.every((r) => /^[0-9a-f]{32}$/.test(r.eventId))).toBe(true);
    expect(rows[0]?.status).toMatch(/^(failed|processing)$/);
    // The table holds more than events: the ordering guard's rows and the parked one.
    expect(await harness.scanCount()).toBeGreaterThan(processed.length + 2);
  });

  it('filters by status and prints a readable table', async () => {
    const result = await runCli(['events', 'list', '--local', '--status', 'processed']);

    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(/^RECEIVED \(UTC\)\s+STATUS\s+EVENT ID\s+TYPE\s+SUBSCRIPTION\s+ATTEMPTS$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/)[2])).toEqual([...processed].reverse());
    expect(lines.slice(1, 4).every((l) => /^\d{4}-\d\d-\d\dT\S+Z\s+processed\s/.test(l))).toBe(true);
    expect(lines[4]).toMatch(
      /^3 newest of 3 events in processed \(scanned \d+ rows of fpt-webhooks-it-events-list-/,
    );
    expect(result.out).not.toContain(failing);
  });

  it('lists parked deliveries for INVALID_ENVELOPE, with their problems but never their body', async () => {
    const result = await runCli(['events', 'list', '--local', '--status', 'INVALID_ENVELOPE']);
    const json = await runCli(['events', 'list', '--local', '--status', 'INVALID_ENVELOPE', '--json']);

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/\sparked#[0-9a-f]{64}\s+invalid_envelope\s+.*eventId/);
    expect(result.out).toContain('1 newest of 1 parked deliveries');
    expect(result.out + json.out).not.toContain(PII);
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({ eventId: expect.stringMatching(/^parked#/), status: 'invalid_envelope' }),
    ]);
  });

  it('says so when nothing matches', async () => {
    const result = await runCli(['events', 'list', '--local', '--status', 'DEAD_LETTERED']);

    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(
      /^no events in dead_lettered in fpt-webhooks-it-events-list-\S+ \(scanned \d+ rows\)$/,
    );
  });
});
