import { ENV } from './env';
import type { FptEnvelope } from './fpt-events';

/**
 * The FPT scope one subscription is bound to: the organization it was created in and, for a
 * location-scoped subscription, the locations it covers. An unset field does not restrict.
 */
export interface SubscriptionScopeBounds {
  readonly organizationId?: number;
  readonly locationIds?: readonly number[];
}

/** The form in the `FPT_SUBSCRIPTION_SCOPES` variable: short keys, because Lambda's environment is 4 KB. */
interface EncodedBounds {
  readonly org?: number;
  readonly loc?: readonly number[];
}

/** The variable's value for the subscriptions that have bounds; undefined when none has. */
export function encodeSubscriptionScopes(
  scopes: ReadonlyMap<string, SubscriptionScopeBounds> | Readonly<Record<string, SubscriptionScopeBounds>>,
): string | undefined {
  const entries = scopes instanceof Map ? [...scopes] : Object.entries(scopes);
  const encoded: Record<string, EncodedBounds> = {};
  for (const [name, bounds] of entries) {
    if (bounds.organizationId === undefined && bounds.locationIds === undefined) continue;
    encoded[name] = {
      ...(bounds.organizationId !== undefined ? { org: bounds.organizationId } : {}),
      ...(bounds.locationIds !== undefined ? { loc: [...bounds.locationIds] } : {}),
    };
  }
  return Object.keys(encoded).length === 0 ? undefined : JSON.stringify(encoded);
}

/**
 * The verifier's `FPT_SUBSCRIPTION_SCOPES` variable when at least one subscription is bound, nothing
 * otherwise; the CDK construct and the local stack both set it from here.
 */
export function subscriptionScopesEnvironment(
  scopes: ReadonlyMap<string, SubscriptionScopeBounds> | undefined,
): Record<string, string> {
  const encoded = scopes === undefined ? undefined : encodeSubscriptionScopes(scopes);
  return encoded === undefined ? {} : { [ENV.subscriptionScopes]: encoded };
}

const isId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Reads the variable; unset means no subscription is bound. Fails fast on a value the stack could not
 * have written, rather than silently accepting every scope.
 * @throws Error naming the variable (never echoing it)
 */
export function decodeSubscriptionScopes(
  raw: string | undefined,
  variable: string = ENV.subscriptionScopes,
): ReadonlyMap<string, SubscriptionScopeBounds> {
  if (raw === undefined || raw === '') return new Map();
  const invalid = () => new Error(`environment variable ${variable} is not a valid scope map`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
  const scopes = new Map<string, SubscriptionScopeBounds>();
  for (const [name, value] of Object.entries(parsed as Record<string, EncodedBounds>)) {
    if (value === null || typeof value !== 'object') throw invalid();
    if (value.org !== undefined && !isId(value.org)) throw invalid();
    if (
      value.loc !== undefined &&
      !(Array.isArray(value.loc) && value.loc.length > 0 && value.loc.every(isId))
    ) {
      throw invalid();
    }
    scopes.set(name, {
      ...(value.org !== undefined ? { organizationId: value.org } : {}),
      ...(value.loc !== undefined ? { locationIds: [...value.loc] } : {}),
    });
  }
  return scopes;
}

/**
 * Why an authentic event is outside its subscription's scope; empty when it is inside (or the
 * subscription is not bound). Messages name fields, never values: they reach logs and the ledger.
 */
export function scopeProblems(
  bounds: SubscriptionScopeBounds | undefined,
  envelope: Pick<FptEnvelope, 'organizationId' | 'locationId'>,
): string[] {
  if (bounds === undefined) return [];
  const problems: string[] = [];
  if (bounds.organizationId !== undefined && envelope.organizationId !== bounds.organizationId) {
    problems.push("organizationId is not the subscription's organization");
  }
  if (bounds.locationIds !== undefined && !bounds.locationIds.includes(envelope.locationId)) {
    problems.push("locationId is not one of the subscription's locations");
  }
  return problems;
}
