import { ConfigValidationError, deriveResourceSpec, resolveConfig } from '../../lib/config';

function problems(input: Parameters<typeof resolveConfig>[0]): string {
  try {
    resolveConfig(input);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('resolveConfig', () => {
  it('applies the documented defaults', () => {
    const config = resolveConfig();
    expect(config).toMatchObject({
      subscriptions: [{ name: 'default', scope: 'location' }],
      signatureToleranceSeconds: 300,
      ledgerRetentionDays: 30,
      maxReceiveCount: 5,
      logRetentionDays: 30,
      maxBodyBytes: 262144,
    });
    expect(config.alarmEmail).toBeUndefined();
  });

  it('accepts names and detailed subscriptions together', () => {
    const config = resolveConfig({
      subscriptions: ['billing', { name: 'org-contacts', scope: 'organization' }],
    });
    expect(config.subscriptions).toEqual([
      { name: 'billing', scope: 'location' },
      { name: 'org-contacts', scope: 'organization' },
    ]);
  });

  it.each([
    [{ subscriptions: [] }, 'subscriptions must list at least one subscription name'],
    [{ subscriptions: ['Default'] }, 'subscription name must be 1-48 lowercase letters'],
    [{ subscriptions: ['a', 'a'] }, 'subscription names must be unique'],
    [
      { signatureToleranceSeconds: 0 },
      'signatureToleranceSeconds must be a whole number from 1 to 3600, but 0',
    ],
    [{ ledgerRetentionDays: 7 }, 'ledgerRetentionDays must be a whole number from 15'],
    [{ maxReceiveCount: 0 }, 'maxReceiveCount must be a whole number from 1 to 1000'],
    [{ logRetentionDays: 2 }, 'logRetentionDays must be one of 1, 3, 5'],
    [{ alarmEmail: 'not-an-email' }, 'alarmEmail must be an email address'],
    [{ processorMaxConcurrency: 1 }, 'processorMaxConcurrency must be a whole number from 2 to 1000, but 1'],
    [{ processorMaxConcurrency: 1001 }, 'processorMaxConcurrency must be a whole number from 2 to 1000'],
    [{ verifierReservedConcurrency: 0 }, 'verifierReservedConcurrency must be a whole number from 1'],
    [
      { ledgerWarmWriteUnitsPerSecond: 1000 },
      'ledgerWarmWriteUnitsPerSecond must be a whole number from 4000',
    ],
    [{ xrayTracing: 'off' }, 'xrayTracing must be true or false, but "off" was provided'],
    [{ keepEventBodies: 'no' }, 'keepEventBodies must be true or false, but "no" was provided'],
    [{ maxRecieveCount: 3 }, 'maxRecieveCount is not a setting; use one of subscriptions,'],
  ])('throws a fix-oriented message for %j', (input, expected) => {
    expect(problems(input as never)).toContain(expected);
  });

  it('keeps the FPT scope a subscription is bound to, and leaves it unset when not given', () => {
    const config = resolveConfig({
      subscriptions: [
        { name: 'loc-a', organizationId: 5678, locationIds: [1234] },
        { name: 'franchise', scope: 'organization', organizationId: 0 },
        'open',
      ],
    });
    expect(config.subscriptions).toEqual([
      { name: 'loc-a', scope: 'location', organizationId: 5678, locationIds: [1234] },
      { name: 'franchise', scope: 'organization', organizationId: 0 },
      { name: 'open', scope: 'location' },
    ]);
  });

  it.each([
    [{ organizationId: -1 }, 'subscription "s" organizationId must be FPT\'s whole-number organization id'],
    [{ organizationId: '5678' }, "organizationId must be FPT's whole-number organization id"],
    [{ locationIds: [] }, 'subscription "s" locationIds must list 1 to 50'],
    [{ locationIds: 1234 }, 'locationIds must list 1 to 50'],
    [{ locationIds: [1.5] }, 'locationIds must list 1 to 50'],
    [{ locationIds: Array.from({ length: 51 }, (_, i) => i) }, 'locationIds must list 1 to 50'],
    [{ locationIds: [7, 7] }, 'subscription "s" locationIds lists a location more than once'],
  ])('refuses a subscription scope of %j', (bounds, expected) => {
    expect(problems({ subscriptions: [{ name: 's', ...bounds }] } as never)).toContain(expected);
  });

  it('leaves both concurrency settings unset by default and keeps them when given', () => {
    expect(resolveConfig()).not.toHaveProperty('processorMaxConcurrency');
    expect(resolveConfig()).not.toHaveProperty('verifierReservedConcurrency');
    expect(resolveConfig({ processorMaxConcurrency: 2, verifierReservedConcurrency: 300 })).toMatchObject({
      processorMaxConcurrency: 2,
      verifierReservedConcurrency: 300,
    });
  });

  it('accepts the keys its caller names as its own, and lists them when a key is unknown', () => {
    expect(() => resolveConfig({ logLevel: 'INFO' } as never, ['logLevel'])).not.toThrow();
    expect(problems({ nope: 1 } as never)).not.toContain('logLevel');
  });

  it('reports every problem in one error', () => {
    const message = problems({ signatureToleranceSeconds: -1, maxReceiveCount: 0 });
    expect(message).toContain('signatureToleranceSeconds');
    expect(message).toContain('maxReceiveCount');
  });
});

describe('deriveResourceSpec', () => {
  it('sets the visibility timeout to six times the processor timeout', () => {
    expect(
      deriveResourceSpec(resolveConfig({ processorTimeoutSeconds: 45 })).queue.visibilityTimeoutSeconds,
    ).toBe(270);
  });

  it('keeps dead letters for 14 days and redrives after maxReceiveCount', () => {
    const spec = deriveResourceSpec(resolveConfig({ maxReceiveCount: 3 }));
    expect(spec.dlq).toEqual({ retentionSeconds: 1_209_600, maxReceiveCount: 3 });
  });
});
