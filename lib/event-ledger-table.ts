import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { LEDGER } from '../lambda/shared/ledger-schema';
import { DEFAULT_SPEC } from './defaults';

/** Properties of an {@link EventLedgerTable}. */
export interface EventLedgerTableProps {
  /**
   * What happens to the table when it leaves the stack. The ledger is the deduplication memory:
   * losing it means re-processing events FPT delivers again. The default keeps it on deletion and
   * replacement, but not when the stack's first create fails: the table is empty then.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Write units per second the table serves at once, without ramping up (DynamoDB warm throughput; a
   * one-time charge). On-demand tables start at 4,000; raise it before a known burst or a high tier.
   * @default - DynamoDB's own starting value
   */
  readonly warmWriteUnitsPerSecond?: number;
}

/**
 * The event ledger (see `lambda/shared/ledger-schema.ts`): one on-demand table keyed by `pk`, rows expire
 * through the `expiresAt` TTL attribute. Event and parked rows also hold their exact body unless config
 * `keepEventBodies` is false.
 *
 * One global secondary index, `byReceivedDay` (`LEDGER.listIndex`), lists rows by the UTC day they were
 * received, for `fpt-webhooks events list` and `events replay` without a scan. It projects only attributes
 * written once per row (never `status` or the body), so it costs one index write per event
 * (docs/cost.md) and no index write on the row's later updates.
 *
 * A plain `Table` (AWS::DynamoDB::Table) rather than `TableV2` (AWS::DynamoDB::GlobalTable): the ledger
 * is single-region and the plain resource is what the local emulator stack mirrors.
 */
export class EventLedgerTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: EventLedgerTableProps = {}) {
    super(scope, id, {
      partitionKey: { name: DEFAULT_SPEC.ledger.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: DEFAULT_SPEC.ledger.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Rows hold event metadata, the body hash and, unless config keepEventBodies is false, the event's
      // exact body, which is personal data (docs/security.md); parked rows hold their body too. Encrypted
      // at rest with the AWS managed key (aws/dynamodb) rather than a customer managed key: access is
      // already limited by IAM to the two functions and the operators' roles, and a CMK would add cost,
      // a rotation duty (cdk-nag KMS5) and kms:* grants to both functions. Unlike the default AWS owned
      // key, the managed key's use shows up in CloudTrail.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      ...(props.warmWriteUnitsPerSecond !== undefined
        ? { warmThroughput: { writeUnitsPerSecond: props.warmWriteUnitsPerSecond } }
        : {}),
    });
    const index = LEDGER.listIndex;
    this.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...index.projected],
    });
  }
}
