import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type StoredSecretShape, storedSecretShape } from '../shared/secret-shape';

export type VersionStage = 'AWSCURRENT' | 'AWSPREVIOUS';

export interface SecretVersion {
  /** undefined unless the stage holds a usable value: missing, empty, the placeholder or malformed. */
  readonly value: string | undefined;
  /**
   * `unset` when the stage is missing, empty or the placeholder; `malformed` when it holds a value that
   * breaks FPT's secret shape (lambda/shared/secret-shape.ts), which is never used. Absent: read from
   * `value` (set: usable; undefined: unset).
   */
  readonly shape?: StoredSecretShape;
  /** When this version was created: the moment it was set. */
  readonly createdAtMs: number | undefined;
}

export interface SecretStoreOptions {
  readonly client: SecretsManagerClient;
  readonly now: () => number;
  /**
   * How long a fetched value is trusted without asking Secrets Manager again.
   * @default 60_000
   */
  readonly ttlMs?: number;
  /**
   * The least time between two forced refreshes of one secret, so a flood of bad signatures cannot
   * turn into a flood of GetSecretValue calls.
   * @default 10_000
   */
  readonly minRefreshIntervalMs?: number;
  /** Called once per Secrets Manager fetch, for the SecretRefresh metric. */
  readonly onFetch?: (stage: VersionStage) => void;
}

interface CacheEntry {
  readonly version: SecretVersion;
  readonly fetchedAtMs: number;
}

const isNotFound = (error: unknown): boolean =>
  (error as { name?: string } | null)?.name === 'ResourceNotFoundException';

/**
 * A small cache of signing secrets keyed by (secret, stage).
 *
 * Powertools' `getSecret` caches too, but its cache key ignores the version stage (issue #5622 in the
 * release we use), so AWSCURRENT and AWSPREVIOUS would collide; this store keys by both. A TTL keeps
 * cost low, and `refresh` lets the verifier pick up a new secret within seconds of a failed match,
 * rate-limited per secret.
 */
export class SecretStore {
  private readonly cache = new Map<string, CacheEntry>();
  /** Fetches under way, so concurrent callers share one GetSecretValue instead of each making one. */
  private readonly inFlight = new Map<string, Promise<SecretVersion>>();
  private readonly lastForcedRefresh = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly minRefreshIntervalMs: number;

  constructor(private readonly options: SecretStoreOptions) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 10_000;
  }

  async get(secretId: string, stage: VersionStage): Promise<SecretVersion> {
    const key = `${stage}\u0000${secretId}`;
    const cached = this.cache.get(key);
    const now = this.options.now();
    if (cached && now - cached.fetchedAtMs < this.ttlMs) return cached.version;
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const fetching = this.fetch(secretId, stage)
      .then((version) => {
        // A fetch that started before a forced refresh must not overwrite what the refresh brought.
        if (this.inFlight.get(key) === fetching) {
          this.cache.set(key, { version, fetchedAtMs: this.options.now() });
        }
        return version;
      })
      .finally(() => {
        if (this.inFlight.get(key) === fetching) this.inFlight.delete(key);
      });
    this.inFlight.set(key, fetching);
    return fetching;
  }

  /**
   * Drops the cached stages of a secret so the next `get` fetches them, unless this secret was
   * refreshed less than `minRefreshIntervalMs` ago.
   * @returns true when the cache was dropped
   */
  tryInvalidate(secretId: string): boolean {
    const now = this.options.now();
    const last = this.lastForcedRefresh.get(secretId);
    if (last !== undefined && now - last < this.minRefreshIntervalMs) return false;
    this.lastForcedRefresh.set(secretId, now);
    for (const stage of ['AWSCURRENT', 'AWSPREVIOUS'] as const) {
      this.cache.delete(`${stage}\u0000${secretId}`);
      this.inFlight.delete(`${stage}\u0000${secretId}`);
    }
    return true;
  }

  private async fetch(secretId: string, stage: VersionStage): Promise<SecretVersion> {
    this.options.onFetch?.(stage);
    try {
      const out = await this.options.client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }),
      );
      const shape = storedSecretShape(out.SecretString);
      return {
        value: shape === 'usable' ? out.SecretString : undefined,
        shape,
        createdAtMs: out.CreatedDate?.getTime(),
      };
    } catch (error) {
      // A secret without an AWSPREVIOUS version, or not created yet, is a normal state, not a failure.
      if (isNotFound(error)) return { value: undefined, shape: 'unset', createdAtMs: undefined };
      throw error;
    }
  }
}
