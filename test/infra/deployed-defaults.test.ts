import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { processorSettings } from '../../lambda/processor/composition';
import {
  DEFAULT_PROCESSING_LEASE_SECONDS,
  DEFAULTS,
  processingLeaseSeconds,
} from '../../lambda/shared/defaults';
import { ENV } from '../../lambda/shared/env';
import { verifierSettings } from '../../lambda/verifier/composition';
import { FptWebhookReceiverStack } from '../../lib';

/**
 * The deployed functions and the runtime defaults (lambda/shared/defaults.ts) must agree: a function
 * wired by hand (the local stack, the harnesses, the scripts) falls back to the runtime defaults, so any
 * difference would make every local run and test measure something other than what is deployed.
 */

interface SynthFunction {
  readonly Timeout?: number;
  readonly Environment?: { readonly Variables?: Record<string, unknown> };
}

function deployedFunctions(): SynthFunction[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const template = Template.fromStack(new FptWebhookReceiverStack(app, 'Defaults'));
  return Object.values(template.findResources('AWS::Lambda::Function')).map(
    (resource) => resource.Properties as SynthFunction,
  );
}

/** The function whose environment sets `name`; its literal (non-token) variables. */
function deployed(name: string): { timeout: number | undefined; env: Record<string, string> } {
  const fn = deployedFunctions().find((f) => f.Environment?.Variables?.[name] !== undefined);
  if (fn === undefined) throw new Error(`no deployed function sets ${name}`);
  const env = Object.fromEntries(
    Object.entries(fn.Environment?.Variables ?? {}).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  return { timeout: fn.Timeout, env };
}

/** What the composition roots need besides defaults: names only the deployment knows. */
const WIRING = {
  [ENV.ledgerTableName]: 'ledger',
  [ENV.queueUrl]: 'https://sqs.example/queue',
  [ENV.subscriptions]: '{"default":"secret-id"}',
};

describe('the deployed environment and the runtime defaults', () => {
  it('gives the verifier the same settings as its runtime defaults', () => {
    const { env } = deployed(ENV.signatureToleranceSeconds);
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        ENV.signatureToleranceSeconds,
        ENV.maxBodyBytes,
        ENV.previousSecretGraceHours,
        ENV.ledgerRetentionDays,
      ]),
    );

    expect(verifierSettings({ ...env, ...WIRING })).toEqual(verifierSettings(WIRING));
  });

  it('gives the processor the same settings as its runtime defaults, the processing lease included', () => {
    const { env } = deployed(ENV.processingLeaseSeconds);
    expect(Object.keys(env)).toEqual(expect.arrayContaining([ENV.ledgerRetentionDays, ENV.maxReceiveCount]));

    expect(processorSettings({ ...env, ...WIRING })).toEqual(processorSettings(WIRING));
    expect(Number(env[ENV.processingLeaseSeconds])).toBe(DEFAULT_PROCESSING_LEASE_SECONDS);
  });

  it('derives the processing lease from the deployed processor timeout, and outlasts it', () => {
    const { timeout, env } = deployed(ENV.processingLeaseSeconds);

    expect(timeout).toBe(DEFAULTS.processorTimeoutSeconds);
    expect(Number(env[ENV.processingLeaseSeconds])).toBe(processingLeaseSeconds(timeout as number));
    expect(DEFAULT_PROCESSING_LEASE_SECONDS).toBeGreaterThan(DEFAULTS.processorTimeoutSeconds);
  });

  it('follows a configured processor timeout with the lease', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], fpt: { processorTimeoutSeconds: 90 } } });
    const template = Template.fromStack(new FptWebhookReceiverStack(app, 'Longer'));
    const processor = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((resource) => resource.Properties as SynthFunction)
      .find((f) => f.Environment?.Variables?.[ENV.processingLeaseSeconds] !== undefined);

    expect(processor?.Timeout).toBe(90);
    expect(processor?.Environment?.Variables?.[ENV.processingLeaseSeconds]).toBe(
      String(processingLeaseSeconds(90)),
    );
  });
});
