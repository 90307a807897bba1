/** The fault-injection tool (`npm run reliability`, and scaled down in `npm test`); see run.ts. */
export { FptSimulator } from './fpt-simulator';
export { ProcessorUnderTest, VerifierPool } from './functions';
export {
  Crash,
  FAULT_KINDS,
  type FaultKind,
  FaultLayer,
  isWindowFault,
  PROCESSOR_STEPS,
  type Step,
  VERIFIER_STEPS,
} from './injector';
export { faultTable, formatReport } from './report';
export { runFaultInjection } from './run';
export type { FaultInjectionOptions, FaultInjectionReport, FaultTiming } from './types';
export {
  countDoubles,
  judgeRun,
  readLedgerVerdict,
  VERDICT_RULES,
  type Verdict,
  type VerdictRule,
} from './verdict';
export { makeBody, planWorkload } from './workload';
