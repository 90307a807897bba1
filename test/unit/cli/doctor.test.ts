import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { SubscriberCount } from '../../../cli/alarm-subscribers';
import { doctor, type LambdaAccount } from '../../../cli/commands/doctor';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { captureIo } from '../../support/cli';
import { FakeSecretsManager, fakeStack, SECRET_NAME, STACK } from './support/fake-aws';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alarms';
const TARGET = ['--stack', STACK, '--region', 'us-east-1'];
const sqsMock = mockClient(SQSClient);

function setup(
  options: {
    secret?: string;
    dlqMessages?: number;
    status?: number;
    subscribers?: SubscriberCount | 'absent';
    lambda?: LambdaAccount | Error;
    outputs?: Record<string, string>;
  } = {},
) {
  const sm = new FakeSecretsManager(options.secret ?? 'a-real-fpt-secret-0123456789-abcdefghij', Date.now());
  const cfn = fakeStack({ AlarmTopicArn: TOPIC, ...options.outputs });
  sqsMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      QueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
      ApproximateNumberOfMessages: String(options.dlqMessages ?? 0),
      ApproximateNumberOfMessagesNotVisible: '0',
    },
  });
  const posted: { url: string; init: RequestInit | undefined }[] = [];
  const fetchFake = (async (url: string, init?: RequestInit) => {
    posted.push({ url, init });
    return new Response('{"message":"Unauthorized"}', { status: options.status ?? 401 });
  }) as unknown as typeof fetch;
  const subscribers = options.subscribers ?? { confirmed: 1, pending: 0 };
  const lambda = options.lambda ?? { limit: 1000, unreserved: 1000 };
  const deps = {
    lambdaAccount: async () => {
      if (lambda instanceof Error) throw lambda;
      return lambda;
    },
    fetch: fetchFake,
    subscriberLister: async () =>
      subscribers === 'absent'
        ? undefined
        : async (topicArn: string) => (topicArn === TOPIC ? subscribers : { confirmed: 0, pending: 0 }),
  };
  return {
    sm,
    cfn,
    deps,
    posted,
    restore: () => {
      sm.mock.restore();
      cfn.restore();
    },
  };
}

describe('fpt-webhooks doctor', () => {
  it('passes with ✓ lines when every check is fine, posting unsigned to every webhook URL', async () => {
    const { deps, posted, restore } = setup();
    const { io, out } = captureIo();
    try {
      const code = await doctor(TARGET, io, deps);

      expect(code).toBe(0);
      expect(out).toEqual([
        `checking stack ${STACK}`,
        expect.stringMatching(/^✓ secret default: configured \(set /),
        '✓ scope default: bound to organization 5678, locations 1234; events outside it are parked',
        `✓ secret names: no secret under fpt-webhooks/${STACK}/ is left behind or scheduled for deletion`,
        expect.stringMatching(/^✓ endpoint default: https:\/\/.*\/webhooks\/default answers 401/),
        '✓ alarms: 1 confirmed subscriber on the alarm topic',
        '✓ dead-letter queue: empty',
        '✓ lambda concurrency: account quota 1000 concurrent executions, 1000 unreserved',
        'all checks passed',
      ]);
      expect(posted).toHaveLength(1);
      expect(JSON.stringify(posted[0]?.init?.headers)).not.toMatch(/x-fpt-signature/i);
    } finally {
      restore();
    }
  });

  it.each([
    [{ secret: SECRET_PLACEHOLDER }, '✗ secret default: not configured (still the placeholder)'],
    [{ dlqMessages: 3 }, '✗ dead-letter queue: 3 messages'],
    [{ status: 404 }, 'answered 404 to an unsigned POST, not 401'],
    [{ subscribers: { confirmed: 0, pending: 1 } }, '✗ alarms: no confirmed subscriber on'],
  ] as const)('fails with exit code 1 for %j', async (options, line) => {
    const { deps, restore } = setup(options);
    const { io, out } = captureIo();
    try {
      expect(await doctor(TARGET, io, deps)).toBe(1);
      expect(out.join('\n')).toContain(line);
      expect(out.at(-1)).toMatch(/^1 problem found/);
    } finally {
      restore();
    }
  });

  it('fails with the fix when the stored secret has a trailing newline, without printing the secret', async () => {
    const stored = `${'k'.repeat(40)}\n`;
    const { deps, restore } = setup({ secret: stored });
    const { io, out } = captureIo();
    try {
      expect(await doctor(TARGET, io, deps)).toBe(1);
      const text = out.join('\n');
      expect(text).toContain('✗ secret default: malformed: it contains whitespace');
      expect(text).toContain(`run fpt-webhooks secret set default --stack ${STACK}`);
      expect(text).not.toContain('k'.repeat(40));
    } finally {
      restore();
    }
  });

  it.each([
    ['{"scope":"location"}', 'not bound to an FPT organization or location'],
    ['{"scope":"location","organizationId":5678}', 'location-scoped but no locationIds'],
  ])('warns when the subscription scope output is %s', async (scope, warning) => {
    const { deps, restore } = setup({ outputs: { SubscriptionScopeDefault: scope } });
    const { io, out } = captureIo();
    try {
      expect(await doctor(TARGET, io, deps)).toBe(0);
      expect(out.join('\n')).toContain(`⚠ scope default: ${warning}`);
      expect(out.join('\n')).toContain('set "organizationId"');
    } finally {
      restore();
    }
  });

  it('warns, and still passes, when the SNS client is not installed', async () => {
    const { deps, restore } = setup({ subscribers: 'absent' });
    const { io, out } = captureIo();
    try {
      expect(await doctor(TARGET, io, deps)).toBe(0);
      expect(out.join('\n')).toContain('⚠ alarms: not checked: @aws-sdk/client-sns is not installed');
      expect(out.at(-1)).toBe('all checks passed (1 warning)');
    } finally {
      restore();
    }
  });

  describe('secrets that keep a name taken', () => {
    it("fails, with the command that cancels it, when a subscription's secret is scheduled for deletion", async () => {
      const { sm, deps, restore } = setup();
      sm.deletedDate = new Date('2030-01-08T00:00:00Z');
      const { io, out } = captureIo();
      try {
        expect(await doctor(TARGET, io, deps)).toBe(1);

        expect(out).toContain(
          `✗ secret default: ${SECRET_NAME} is scheduled for deletion (on 2030-01-08T00:00:00Z): the verifier cannot read it, so every delivery gets 503; cancel the deletion with aws secretsmanager restore-secret --secret-id ${SECRET_NAME} --region us-east-1`,
        );
      } finally {
        restore();
      }
    });

    it('warns about a secret left behind by a removed subscription, and says how to delete it for good', async () => {
      const { sm, deps, restore } = setup();
      sm.otherSecrets = [
        { Name: `fpt-webhooks/${STACK}/old-gym` },
        // Another receiver's secrets, and one whose name only starts like ours, are not ours to report.
        { Name: `fpt-webhooks/${STACK}-Crm/default` },
        { Name: `fpt-webhooks/${STACK}/nested/x` },
      ];
      const { io, out } = captureIo();
      try {
        expect(await doctor(TARGET, io, deps)).toBe(0);

        expect(out.filter((line) => line.includes('fpt-webhooks/'))).toEqual([
          `⚠ secret fpt-webhooks/${STACK}/old-gym: used by no configured subscription (left behind by a removed one); if FPT no longer sends to "old-gym", delete it with aws secretsmanager delete-secret --secret-id fpt-webhooks/${STACK}/old-gym --force-delete-without-recovery --region us-east-1`,
        ]);
        expect(out.at(-1)).toBe('all checks passed (1 warning)');
      } finally {
        restore();
      }
    });

    it('warns that a secret scheduled for deletion keeps its name taken, and how to free it now', async () => {
      const { sm, deps, restore } = setup();
      sm.otherSecrets = [
        { Name: `fpt-webhooks/${STACK}/old-gym`, DeletedDate: new Date('2030-01-31T12:00:00Z') },
      ];
      const { io, out } = captureIo();
      try {
        expect(await doctor(TARGET, io, deps)).toBe(0);

        expect(out).toContain(
          `⚠ secret fpt-webhooks/${STACK}/old-gym: scheduled for deletion (on 2030-01-31T12:00:00Z) and used by no configured subscription; until then the name stays taken, so adding subscription "old-gym" again fails; free it now with aws secretsmanager delete-secret --secret-id fpt-webhooks/${STACK}/old-gym --force-delete-without-recovery --region us-east-1`,
        );
      } finally {
        restore();
      }
    });
  });

  describe('a stack that is not deployed', () => {
    it('lists the secrets kept under its name, which would fail its next deploy, and how to free them', async () => {
      const sm = new FakeSecretsManager('placeholder', Date.now());
      sm.otherSecrets = [
        { Name: 'fpt-webhooks/Gone/default' },
        { Name: 'fpt-webhooks/Gone/crm', DeletedDate: new Date('2030-02-01T00:00:00Z') },
        { Name: 'fpt-webhooks/Gone-Other/default' },
      ];
      const cfn = mockClient(CloudFormationClient);
      cfn
        .on(DescribeStacksCommand)
        .rejects(Object.assign(new Error('Stack with id Gone does not exist'), { name: 'ValidationError' }));
      const { io, out } = captureIo();
      try {
        expect(await doctor(['--stack', 'Gone', '--region', 'eu-west-1'], io)).toBe(1);

        expect(out).toEqual([
          'checking stack Gone',
          '✗ stack: could not read stack Gone: Stack with id Gone does not exist',
          '⚠ secret fpt-webhooks/Gone/default: kept from an earlier stack of this name (a failed first deploy, or cdk destroy), and the next deploy cannot create it while it exists; if it holds no key FPT still signs with, delete it with aws secretsmanager delete-secret --secret-id fpt-webhooks/Gone/default --force-delete-without-recovery --region eu-west-1 (docs/runbooks/failed-deploy.md)',
          '⚠ secret fpt-webhooks/Gone/crm: scheduled for deletion (on 2030-02-01T00:00:00Z) and used by no configured subscription; until then the name stays taken, so adding subscription "crm" again fails; free it now with aws secretsmanager delete-secret --secret-id fpt-webhooks/Gone/crm --force-delete-without-recovery --region eu-west-1',
          '1 problem found',
        ]);
      } finally {
        sm.mock.restore();
        cfn.restore();
      }
    });
  });

  describe('lambda concurrency', () => {
    async function run(lambda: LambdaAccount | Error) {
      const { deps, restore } = setup({ lambda });
      const { io, out } = captureIo();
      try {
        const code = await doctor(TARGET, io, deps);
        return {
          code,
          line: out.find((l) => l.includes('lambda concurrency')) ?? '',
        };
      } finally {
        restore();
      }
    }

    it('reports the account quota and unreserved concurrency with ✓', async () => {
      const { code, line } = await run({ limit: 1000, unreserved: 900 });
      expect(code).toBe(0);
      expect(line).toBe('✓ lambda concurrency: account quota 1000 concurrent executions, 900 unreserved');
    });

    it('warns about a new account with a quota of 10 and says what to ask AWS for', async () => {
      const { code, line } = await run({ limit: 10, unreserved: 10 });
      expect(code).toBe(0);
      expect(line).toMatch(
        /^⚠ lambda concurrency: account quota 10 concurrent executions, 10 unreserved, below/,
      );
      expect(line).toContain(
        'ask AWS to raise "Concurrent executions" (L-B99A9384, Service Quotas, AWS Lambda) to at least 1000',
      );
    });

    it('warns, without failing, when the settings cannot be read', async () => {
      const { code, line } = await run(new Error('AccessDeniedException'));
      expect(code).toBe(0);
      expect(line).toContain('⚠ lambda concurrency: not checked');
      expect(line).toContain('lambda:GetAccountSettings');
    });
  });
});
