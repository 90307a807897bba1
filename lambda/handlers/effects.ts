import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';

/*
 * Transactional effects: the DynamoDB writes a handler declares on `ctx.effects` are committed by the
 * processor in one TransactWriteItems together with the event's PROCESSED transition, on the condition
 * that the processing lease is still this invocation's. Either all of them and PROCESSED are written, or
 * none: a crash between the handler's return and the commit runs the handler again, and only one run's
 * effects are ever committed. See docs/handlers.md.
 */

/** An item or key in the document client's native JavaScript form (strings, numbers, sets, maps...). */
export type EffectAttributes = Record<string, NativeAttributeValue>;

/** The condition and placeholders shared by every kind of effect, as in the DynamoDB API. */
export interface EffectExpressionProps {
  /** A DynamoDB condition expression; if it is false, the whole commit is cancelled and the record retried. */
  readonly conditionExpression?: string;
  readonly expressionAttributeNames?: Readonly<Record<string, string>>;
  readonly expressionAttributeValues?: EffectAttributes;
}

/** Writes a whole item (PutItem). */
export interface PutEffectProps extends EffectExpressionProps {
  readonly tableName: string;
  readonly item: EffectAttributes;
}

/** Updates an item's attributes (UpdateItem). */
export interface UpdateEffectProps extends EffectExpressionProps {
  readonly tableName: string;
  /** The item's primary key: the partition key and, if the table has one, the sort key. */
  readonly key: EffectAttributes;
  readonly updateExpression: string;
}

/** Deletes an item (DeleteItem). */
export interface DeleteEffectProps extends EffectExpressionProps {
  readonly tableName: string;
  readonly key: EffectAttributes;
}

/** Commits only if an item not otherwise written satisfies a condition (ConditionCheck). */
export interface ConditionCheckEffectProps extends EffectExpressionProps {
  readonly tableName: string;
  readonly key: EffectAttributes;
  readonly conditionExpression: string;
}

/** One declared effect, as the processor receives it. */
export type DynamoDbEffect =
  | { readonly kind: 'put'; readonly props: PutEffectProps }
  | { readonly kind: 'update'; readonly props: UpdateEffectProps }
  | { readonly kind: 'delete'; readonly props: DeleteEffectProps }
  | { readonly kind: 'conditionCheck'; readonly props: ConditionCheckEffectProps };

/**
 * TransactWriteItems takes at most 100 actions; the event's PROCESSED transition is one of them.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export const MAX_EFFECTS_PER_EVENT = 99;

/**
 * The effects API on `ctx.effects`. Declaring writes nothing: the processor commits every declared
 * effect after the handler returns, atomically with PROCESSED. If the handler throws, nothing declared
 * is written.
 *
 * @example
 * ctx.effects.put({ tableName: ORDERS_TABLE, item: { pk: `contact#${event.data.contactId}`, status: 'active' } });
 * ctx.effects.update({
 *   tableName: STATS_TABLE,
 *   key: { pk: `location#${event.locationId}` },
 *   updateExpression: 'ADD #created :one',
 *   expressionAttributeNames: { '#created': 'created' },
 *   expressionAttributeValues: { ':one': 1 },
 * });
 */
export interface TransactionalEffects {
  put(props: PutEffectProps): void;
  update(props: UpdateEffectProps): void;
  delete(props: DeleteEffectProps): void;
  conditionCheck(props: ConditionCheckEffectProps): void;
  /** The effects declared so far, in order. */
  readonly declared: readonly DynamoDbEffect[];
}

/** The processor's collector behind `ctx.effects`: one per handler run. */
export class EffectCollector implements TransactionalEffects {
  private readonly effects: DynamoDbEffect[] = [];

  get declared(): readonly DynamoDbEffect[] {
    return this.effects;
  }

  put(props: PutEffectProps): void {
    this.effects.push({ kind: 'put', props });
  }

  update(props: UpdateEffectProps): void {
    this.effects.push({ kind: 'update', props });
  }

  delete(props: DeleteEffectProps): void {
    this.effects.push({ kind: 'delete', props });
  }

  conditionCheck(props: ConditionCheckEffectProps): void {
    this.effects.push({ kind: 'conditionCheck', props });
  }
}
