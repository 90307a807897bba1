import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SECRET_PLACEHOLDER } from '../../../lambda/shared/secret-placeholder';
import { SecretStore } from '../../../lambda/verifier/secret-store';

const sm = mockClient(SecretsManagerClient);
const ID = 'fpt-webhooks/test/default';

function store(now: { ms: number }, onFetch?: () => void) {
  return new SecretStore({
    client: new SecretsManagerClient({}),
    now: () => now.ms,
    ...(onFetch ? { onFetch } : {}),
  });
}

beforeEach(() => sm.reset());

describe('SecretStore', () => {
  it('returns the value and the creation time of the requested stage', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ID, VersionStage: 'AWSCURRENT' }).resolves({
      SecretString: 'a-real-secret-with-enough-characters-123',
      CreatedDate: new Date(1000),
    });
    const version = await store({ ms: 0 }).get(ID, 'AWSCURRENT');
    expect(version).toEqual({
      value: 'a-real-secret-with-enough-characters-123',
      shape: 'usable',
      createdAtMs: 1000,
    });
  });

  it('keeps AWSCURRENT and AWSPREVIOUS apart in its cache', async () => {
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' }).resolves({
      SecretString: 'current-value-xxxxxxxxxxxxxxxxxxxxxxxx',
    });
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' }).resolves({
      SecretString: 'previous-value-xxxxxxxxxxxxxxxxxxxxxxx',
    });
    const s = store({ ms: 0 });
    expect((await s.get(ID, 'AWSCURRENT')).value).toBe('current-value-xxxxxxxxxxxxxxxxxxxxxxxx');
    expect((await s.get(ID, 'AWSPREVIOUS')).value).toBe('previous-value-xxxxxxxxxxxxxxxxxxxxxxx');
  });

  it('serves from cache within the TTL and fetches again after it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'cached-value-xxxxxxxxxxxxxxxxxxxxxxxxx' });
    const now = { ms: 0 };
    let fetches = 0;
    const s = store(now, () => fetches++);
    await s.get(ID, 'AWSCURRENT');
    now.ms = 59_999;
    await s.get(ID, 'AWSCURRENT');
    expect(fetches).toBe(1);
    now.ms = 60_000;
    await s.get(ID, 'AWSCURRENT');
    expect(fetches).toBe(2);
  });

  it.each([
    ['the placeholder', SECRET_PLACEHOLDER],
    ['an empty string', ''],
    ['only whitespace', '   '],
  ])('treats %s as no secret', async (_name, value) => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: value });
    expect((await store({ ms: 0 }).get(ID, 'AWSCURRENT')).value).toBeUndefined();
  });

  it('treats a missing stage as no secret rather than an error', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('no AWSPREVIOUS'), { name: 'ResourceNotFoundException' }),
    );
    expect((await store({ ms: 0 }).get(ID, 'AWSPREVIOUS')).value).toBeUndefined();
  });

  it('throws other Secrets Manager errors so the caller answers 5xx', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    await expect(store({ ms: 0 }).get(ID, 'AWSCURRENT')).rejects.toThrow('denied');
  });

  it('allows a forced refresh at most once per interval per secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'value-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' });
    const now = { ms: 0 };
    let fetches = 0;
    const s = store(now, () => fetches++);
    await s.get(ID, 'AWSCURRENT');
    expect(s.tryInvalidate(ID)).toBe(true);
    await s.get(ID, 'AWSCURRENT');
    expect(s.tryInvalidate(ID)).toBe(false);
    await s.get(ID, 'AWSCURRENT');
    expect(fetches).toBe(2);
    now.ms = 10_000;
    expect(s.tryInvalidate(ID)).toBe(true);
    expect(s.tryInvalidate('another-secret')).toBe(true);
  });
});
