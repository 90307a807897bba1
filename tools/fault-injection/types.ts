/** What a fault-injection run is asked to do, and what it reports. */

export interface FaultTiming {
  /** The verifier's invocation deadline (Lambda timeout). */
  readonly verifierDeadlineMs: number;
  /** EventLedger claimLeaseMs: longer than the verifier deadline, as in production (30 s vs 10 s). */
  readonly claimLeaseMs: number;
  /** The processor's invocation deadline. */
  readonly processorDeadlineMs: number;
  /** EventLedger processingLeaseMs: longer than the processor deadline. */
  readonly processingLeaseMs: number;
  /** The poller's visibility timeout: longer than the processing lease, so a redelivery finds it expired. */
  readonly visibilityTimeoutSeconds: number;
  /** Records per processor invocation. */
  readonly batchSize: number;
  /** Concurrent SQS pollers (Lambda runs several). */
  readonly pollers: number;
  /** SecretStore TTL; shorter than production's 60 s so secret fetches (and their faults) happen often. */
  readonly secretTtlMs: number;
  /** FPT's retry: first backoff, cap, attempts before it gives up. */
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  readonly retryMaxAttempts: number;
}

export interface FaultInjectionOptions {
  /** The emulator's URL. */
  readonly endpoint: string;
  /** Distinct events. */
  readonly events: number;
  /** Probability that an event is delivered once more (FPT redeploys, lost 2xx). */
  readonly duplicateRate: number;
  /** Deliveries in flight at once. */
  readonly concurrency: number;
  /** Probability that any faultable call is faulted. */
  readonly faultRate: number;
  /** Share of events whose handler fails until the DLQ redrive (a downstream outage). */
  readonly persistentFailureRate: number;
  /**
   * Inject faults inside the documented window (after the handler succeeded, before PROCESSED is
   * written). Doubles they cause are counted separately, never as unexplained doubles.
   */
  readonly windowFaults: boolean;
  /** Seed of the fault and workload generator. */
  readonly seed: number;
  /** The queue's maxReceiveCount for this run. */
  readonly maxReceiveCount: number;
  readonly timing: FaultTiming;
  /** Progress lines, e.g. to stderr. */
  readonly onProgress?: (line: string) => void;
  /** Upper bound of the drain waits, so the run always ends. */
  readonly drainTimeoutMs: number;
  /**
   * Work-queue depth above which the senders start no new delivery until it falls again (retries
   * continue). The emulator serves one call at a time and its SQS slows down as a queue grows, so an
   * unbounded backlog turns the run into a test of moto; AWS would scale the processor out instead.
   * @default - no limit
   */
  readonly maxBacklog?: number;
}

export interface FaultInjectionReport {
  readonly options: Omit<FaultInjectionOptions, 'onProgress' | 'endpoint'>;
  readonly events: number;
  readonly deliveries: number;
  readonly duplicateDeliveries: number;
  readonly persistentFailureEvents: number;
  /** Faults injected, by step and kind. */
  readonly faults: Record<string, Record<string, number>>;
  readonly faultsTotal: number;
  readonly windowFaultsInjected: number;
  /** FPT's side. */
  readonly fpt: {
    readonly attempts: number;
    readonly byOutcome: Record<string, number>;
    readonly chainsSucceeded: number;
    readonly chainsGaveUp: number;
    readonly maxAttemptsForOneDelivery: number;
  };
  /** Verifier invocations that had at least one injected fault, by how they ended. */
  readonly verifierFaulted: {
    readonly total: number;
    readonly answeredNon2xx: number;
    readonly noAnswer: number;
    /** 2xx although a fault was injected: the event was already queued (faults after the send, or release faults). */
    readonly answered2xxAbsorbed: number;
    /** 2xx after a fault without the event being queued or known: must be 0. */
    readonly answered2xxUnexplained: number;
  };
  readonly verifierNaturalTimeouts: number;
  /** Verifier "containers" created: one per concurrent invocation, plus one after every crash or timeout. */
  readonly verifierContainers: number;
  readonly processor: {
    readonly invocations: number;
    readonly invocationsLost: number;
    readonly recordsReceived: number;
    readonly recordsFailed: number;
    /** Messages deleted from the queue while their event was not PROCESSED: must be 0. */
    readonly deletedBeforeProcessed: number;
    readonly naturalTimeouts: number;
  };
  /** Events queued more than once (a lost response or a crash after the send, then FPT's retry). */
  readonly eventsQueuedMoreThanOnce: number;
  readonly maxCopiesOfOneEvent: number;
  readonly handlerSuccesses: number;
  readonly eventsSucceededOnce: number;
  /** Events whose handler succeeded twice with no window incident: must be 0. */
  readonly unexplainedDoubles: number;
  /** Events whose handler succeeded twice after a fault or timeout inside the documented window. */
  readonly windowDoubles: number;
  /** Events with a fault or timeout inside the window (an upper bound of windowDoubles). */
  readonly windowIncidents: number;
  /**
   * Events whose handler declared its write on `ctx.effects` (committed with PROCESSED in one
   * TransactWriteItems); the figures above count only the others. Absent in records of runs made before
   * transactional handlers existed.
   */
  readonly transactional?: {
    readonly events: number;
    /** Events whose effect was committed exactly once. */
    readonly committedOnce: number;
    /** Events whose effect was committed more than once: must be 0, window faults included. */
    readonly doubles: number;
    /** Events PROCESSED in the ledger without their effect committed: must be 0. */
    readonly missing: number;
    /** Events whose handler returned twice or more (a fault in the window), each committed once. */
    readonly handlerRanTwice: number;
    /** Transactional events with a fault or timeout between their handler's return and the commit. */
    readonly windowIncidents: number;
  };
  /** finishProcessing(PROCESSED), or a commit of effects, found another invocation's lease: must be 0. */
  readonly leaseLost: number;
  readonly dlq: {
    readonly maxDepthBeforeRedrive: number;
    readonly redriveRounds: number;
    readonly redriven: number;
    readonly depthAfter: number;
  };
  readonly final: {
    readonly processed: number;
    readonly lost: number;
    readonly lostByStatus: Record<string, number>;
    readonly unexpectedRows: number;
    readonly parkedRows: number;
    readonly queueDepth: number;
  };
  readonly emulatorCalls: number;
  /** Time the senders spent waiting for the work queue to fall under `maxBacklog`. */
  readonly backpressureMs: number;
  readonly durationsMs: {
    readonly deliveries: number;
    readonly drain: number;
    readonly redrive: number;
    readonly total: number;
  };
}
