import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, App as CdkApp, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FptWebhookReceiver } from '../../lib/fpt-webhook-receiver';
import { FptWebhookReceiverStack } from '../../lib/fpt-webhook-receiver-stack';
import type { ProcessorFunction } from '../../lib/processor-function';

const PARTNER_FIXTURE = path.join(__dirname, '..', 'support', 'partner-handlers.ts');

/** The processor's bundled index.js, read from the cloud assembly. */
function processorBundle(stack: Stack, processor: ProcessorFunction, outdir: string): string {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Properties: { Code: { S3Key: string } } }
  >;
  const resource = resources[stack.getLogicalId(processor.node.defaultChild as CfnResource)];
  if (resource === undefined) throw new Error(`${processor.node.path} is missing from the template`);
  const hash = resource.Properties.Code.S3Key.replace(/\.zip$/, '');
  return fs.readFileSync(path.join(outdir, `asset.${hash}`, 'index.js'), 'utf8');
}

// The one test that really bundles: local esbuild, no Docker. Everything else skips bundling.
describe('WebhookFunction bundling', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fpt-infra-'));
  });

  afterAll(() => {
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('bundles both handlers, SDK included, into minified, source-mapped assets with local esbuild', () => {
    // GIVEN
    const app = new App({ outdir });
    const stack = new FptWebhookReceiverStack(app, 'BundlingStack');

    // WHEN
    const template = Template.fromStack(stack);
    const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;

    // THEN
    for (const fn of [stack.receiver.verifier, stack.receiver.processor]) {
      const resource = resources[stack.getLogicalId(fn.node.defaultChild as CfnResource)];
      if (resource === undefined) throw new Error(`${fn.node.path} is missing from the template`);
      const s3Key = (resource.Properties.Code as { S3Key: string }).S3Key;
      const hash = s3Key.replace(/\.zip$/, '');
      const assetDir = path.join(outdir, `asset.${hash}`);
      const bundle = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
      expect(bundle.length).toBeGreaterThan(1000);
      expect(bundle).toMatch(/\bhandler\b/);
      // Minified: a few long lines rather than thousands of short ones.
      expect(bundle.split('\n').length).toBeLessThan(100);
      expect(bundle).toContain('sourceMappingURL=index.js.map');
      expect(fs.existsSync(path.join(assetDir, 'index.js.map'))).toBe(true);
      // The SDK is bundled (tree-shaken ES builds), with the environment credential provider in place of
      // the default chain: no require of the runtime's SDK, and no SSO or STS client inside.
      expect(bundle).not.toMatch(/require\("@aws-sdk\//);
      expect(bundle).not.toContain('SSOOIDC');
      expect(bundle).toContain('AWS_ACCESS_KEY_ID');
    }
  }, 120_000);

  test("bundles the partner's handler module named by handlers.entry into the processor, without the example handlers", () => {
    // GIVEN
    const app = new CdkApp({ outdir });
    const stack = new Stack(app, 'PartnerStack');
    const receiver = new FptWebhookReceiver(stack, 'Receiver', { handlers: { entry: PARTNER_FIXTURE } });

    // WHEN
    const bundle = processorBundle(stack, receiver.processor, outdir);

    // THEN
    expect(bundle).toContain('partner-fixture-handled-contact-created');
    expect(bundle).toContain('partner-fixture-default');
    // lambda/handlers/default-handler.ts's message: the examples are not shipped to the partner's Lambda.
    expect(bundle).not.toContain('acknowledged event type without a handler');
    expect(bundle).toContain('AWS_ACCESS_KEY_ID');
  }, 120_000);

  test('fails the synth naming the path when handlers.entry names no file', () => {
    const stack = new Stack(new CdkApp({ outdir }), 'MissingEntryStack');

    expect(
      () => new FptWebhookReceiver(stack, 'Receiver', { handlers: { entry: 'src/no-such-handlers.ts' } }),
    ).toThrow(/handlers\.entry: no file at .*src\/no-such-handlers\.ts/);
  });
});
