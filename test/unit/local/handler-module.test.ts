import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { EffectCollector } from '../../../lambda/runtime';
import { checkHandlerModule, loadHandlerModule } from '../../../local/handler-module';

const FIXTURE = path.join(__dirname, '..', '..', 'support', 'partner-handlers.ts');

describe('loadHandlerModule (fpt-webhooks local --handlers)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fpt-handler-module-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('builds a TypeScript handler module and returns its routing table and default handler', async () => {
    const module = await loadHandlerModule(FIXTURE);

    const logged: string[] = [];
    // Only what the fixture calls: the message of each info line.
    const logger = {
      info: (message: string) => {
        logged.push(message);
      },
    } as unknown as Logger;
    await module.defaultHandler(
      {
        eventId: 'b'.repeat(32),
        eventType: 'membership.created',
        eventTimestamp: '2026-01-01T00:00:00.000Z',
        locationId: 1,
        organizationId: 0,
        apiVersion: '1.1',
        data: {},
      },
      {
        subscription: 'default',
        attempt: 1,
        receivedAt: 0,
        isStale: false,
        isTest: false,
        logger,
        idempotencyKey: 'b'.repeat(32),
        effects: new EffectCollector(),
      },
    );

    expect(typeof module.handlers['contact.sub_group_changed']).toBe('function');
    expect(logged).toEqual(['partner-fixture-default']);
  });

  test('names the file when there is none', async () => {
    await expect(loadHandlerModule(path.join(dir, 'missing.ts'))).rejects.toThrow(
      `--handlers: no file at ${path.join(dir, 'missing.ts')}`,
    );
  });

  test('reports a module that does not build, with the compiler message', async () => {
    const broken = path.join(dir, 'broken.ts');
    fs.writeFileSync(broken, 'export const handlers = {;\n');

    await expect(loadHandlerModule(broken)).rejects.toThrow(/--handlers: .*broken\.ts does not build: /);
  });

  test('lists every missing export and catalog type at once', () => {
    const partial = { handlers: { 'contact.created': async () => {} } } as never;

    expect(() => checkHandlerModule(partial, 'src/h.ts')).toThrow(
      '--handlers: src/h.ts: handlers has no function for contact.updated, contact.deleted, contact.status_changed, contact.sub_group_changed; no function exported as defaultHandler',
    );
  });
});
