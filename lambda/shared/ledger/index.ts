/**
 * The event ledger, split by concern (claim.ts, processing-lease.ts, ordering.ts) and bound to one table
 * by event-ledger.ts. Its importers (verifier, processor, tests) need only this entry point.
 */
export type { ClaimInput, ClaimResult, ParkInput } from './claim';
export {
  type CommitOutcome,
  effectProblems,
  TRANSACT_WRITE_MAX_ACTIONS,
  TRANSACT_WRITE_MAX_BYTES,
} from './effects-commit';
export { EventLedger, type LedgerOptions } from './event-ledger';
export type { OrderingVerdict } from './ordering';
export type {
  ProcessingOutcome,
  ReplayRefusal,
  ReplayRequest,
  StartProcessingInput,
  StartProcessingResult,
} from './processing-lease';
export {
  REPLAY_REASON_MAX_CHARS,
  type ReplayRequestInput,
  type ReplayRequestResult,
  replayMessage,
  replayReasonProblem,
  requestReplay,
} from './replay';
export {
  BODY_NOT_KEPT,
  type BodyNotKept,
  bodyBytesOf,
  DYNAMODB_MAX_ITEM_BYTES,
  MAX_STORED_BODY_BYTES,
  storedBody,
} from './stored-body';
