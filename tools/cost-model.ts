/**
 * The cost model of docs/cost.md and of `npm run bench`'s cost keys: what the receiver costs on AWS
 * per month, from the calls and log bytes the call-count test measures (the JSON blocks `call-counts`
 * and `log-bytes` of docs/cost.md, which test/integration/call-counts.test.ts holds to the code), the
 * alarm metrics of the synthesized stack, and list prices. Prices are inputs, not measurements: each
 * names the page it was read from (us-east-1, without free tiers; docs/cost.md, "Prices used").
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readDocBlock } from './doc-blocks';
import type { RunRecord } from './run-record';

/** us-east-1 list prices, USD. Sources: docs/cost.md "Prices used" (read 2026-11-28). */
export const PRICES = {
  /** https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html */
  apiHttpPerMillion: 1.0,
  /** https://aws.amazon.com/lambda/pricing/ (requests; Arm duration per GB-second) */
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the 2024-11-01 cut); storage and PITR per GB-month */
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  /** https://aws.amazon.com/sqs/pricing/ (standard queue requests) */
  sqsRequestPerMillion: 0.4,
  /** https://aws.amazon.com/secrets-manager/pricing/ */
  secretPerMonth: 0.4,
  secretsCallsPer10k: 0.05,
  /** https://aws.amazon.com/cloudwatch/pricing/ */
  customMetricPerMonth: 0.3,
  alarmMetricPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  logsIngestPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  /** https://aws.amazon.com/xray/pricing/ (traces recorded) */
  xrayPerMillionTraces: 5.0,
  /** https://aws.amazon.com/kms/pricing/ (customer managed key) */
  kmsKeyPerMonth: 1.0,
} as const;

/**
 * Estimates, not measurements (marked so in docs/cost.md): what the local stack cannot show.
 * Lambda's START/END/REPORT lines per invocation, the API access-log line per request, function
 * durations (a base plus each sequential AWS call), the ledger row's size.
 */
export const ESTIMATES = {
  platformLogBytesPerInvocation: 350,
  accessLogBytesPerRequest: 260,
  verifierBaseMs: 15,
  processorBaseMsPerInvocation: 5,
  msPerAwsCall: 12,
  memoryGb: 0.25,
  /** About 0.6 KB of metadata plus the ~0.25 KB FPT body kept for the retention (config keepEventBodies). */
  ledgerRowKb: 0.85,
  /**
   * One item of the list index: its keys (`listDay`, `receivedAt`), the projected `eventType`,
   * `subscription`, `contactId`, `locationId`, the table key, and the 100 bytes DynamoDB adds per index
   * item (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.StorageConsiderations).
   */
  listIndexItemKb: 0.25,
  /** Event source pollers long-polling an idle queue (2 to 5), 3 polls a minute each. */
  idlePollRequestsPerMonth: 5 * 3 * 60 * 24 * 30,
  /** One warm verifier container refreshing its cached secret once a minute. */
  secretCallsPerMonth: 60 * 24 * 30,
  secondsPerMonth: 30 * 24 * 3600,
} as const;

/**
 * Writes on the ledger's list index (`byReceivedDay`, `LEDGER.listIndex` in lambda/shared/ledger-schema.ts)
 * per new event, as the call-count test measures them (`listIndexWritesPerNewEvent` of the call-counts
 * block). DynamoDB bills a table write that puts an item into a global secondary index as a write on the
 * index too (1 WRU for a projected item up to 1 KB), and an update that changes no indexed key or
 * projected attribute as none
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes): the test reads
 * the row before and after each ledger write and counts by that rule. The claim's PutItem lists the
 * event; the processor's updates never change what the index holds (`status` is not projected).
 */
export function listIndexWritesPerNewEvent(calls: CallCounts): number {
  return sum(calls.listIndexWritesPerNewEvent);
}

/** What the call-count test measures per event, as docs/cost.md's `log-bytes` block holds it. */
export interface LogFigures {
  readonly verifierLogBytesPerEvent: number;
  readonly processorLogBytesPerEvent: number;
  readonly metricSeriesHappyPath: number;
}

export type CallCounts = Record<string, Record<string, number>>;

/** One configuration the model prices. */
export interface CostInputs {
  readonly calls: CallCounts;
  readonly logs: LogFigures;
  /** Alarm metrics of the synthesized stack (a metric-math alarm counts each metric it reads). */
  readonly alarmMetrics: number;
  readonly xrayTracing: boolean;
  readonly dashboard: boolean;
  /** Series published only with the dashboard, added to the happy-path ones when it is on. */
  readonly dashboardSeries: number;
  readonly subscriptions: number;
  /** Writes on the ledger's list index per new event ({@link listIndexWritesPerNewEvent}). */
  readonly listIndexWritesPerEvent: number;
}

const total = (lines: Record<string, number>) => Object.values(lines).reduce((a, b) => a + b, 0);

const sum = (counts: Record<string, number> | undefined) =>
  Object.values(counts ?? {}).reduce((a, b) => a + b, 0);

const writeUnits = (counts: Record<string, number> | undefined) =>
  Object.entries(counts ?? {})
    .filter(([call]) => /DynamoDB\.(PutItem|UpdateItem|DeleteItem)$/.test(call))
    .reduce((a, [, n]) => a + n, 0);

const readUnits = (counts: Record<string, number> | undefined) => counts?.['DynamoDB.GetItem'] ?? 0;

export const billableCallsPerEvent = (calls: CallCounts) =>
  sum(calls.verifierNewEvent) + sum(calls.processorPerEvent);

/** Every call of the verifier on a new event is made one after the other before it answers. */
export const verifierRoundTrips = (calls: CallCounts) => sum(calls.verifierNewEvent);

/** The variable cost of one million events, line by line, at `perBatch` records per processor batch. */
export function variableLines(inputs: CostInputs, perBatch: number): Record<string, number> {
  const { calls, logs } = inputs;
  const verifierCalls = sum(calls.verifierNewEvent);
  const processorCalls = sum(calls.processorPerEvent);
  const gbSeconds = (ms: number) => ESTIMATES.memoryGb * (ms / 1000) * 1e6 * PRICES.lambdaArmGbSecond;
  const wru = writeUnits(calls.verifierNewEvent) + writeUnits(calls.processorPerEvent);
  const rru = readUnits(calls.verifierNewEvent) + readUnits(calls.processorPerEvent);
  const sends = calls.verifierNewEvent?.['SQS.SendMessage'] ?? 0;
  const logBytes =
    logs.verifierLogBytesPerEvent +
    logs.processorLogBytesPerEvent +
    ESTIMATES.accessLogBytesPerRequest +
    ESTIMATES.platformLogBytesPerInvocation * (1 + 1 / perBatch);
  const logGb = (logBytes * 1e6) / 1e9;
  return {
    'API Gateway HTTP API': PRICES.apiHttpPerMillion,
    'Lambda requests': PRICES.lambdaRequestPerMillion * (1 + 1 / perBatch),
    'Lambda duration (estimate)':
      gbSeconds(ESTIMATES.verifierBaseMs + ESTIMATES.msPerAwsCall * verifierCalls) +
      gbSeconds(ESTIMATES.processorBaseMsPerInvocation / perBatch + ESTIMATES.msPerAwsCall * processorCalls),
    'DynamoDB writes and reads':
      wru * PRICES.dynamoWriteUnitPerMillion + rru * PRICES.dynamoReadUnitPerMillion,
    'DynamoDB list index (byReceivedDay)': listIndexPerMillion(inputs.listIndexWritesPerEvent),
    'SQS (send, receive, delete)': PRICES.sqsRequestPerMillion * (sends + 2 / perBatch),
    'CloudWatch Logs': logGb * (PRICES.logsIngestPerGb + PRICES.logsStoragePerGbMonth),
    'DynamoDB storage and PITR':
      ESTIMATES.ledgerRowKb * (PRICES.dynamoStorageGbMonth + PRICES.dynamoPitrGbMonth),
  };
}

/**
 * The list index per million new events: its writes, and the storage of its items for the retention
 * (an index item is billed as storage like a table item; PITR is priced on the table, not on its global
 * secondary indexes).
 */
function listIndexPerMillion(writesPerEvent: number): number {
  if (writesPerEvent === 0) return 0;
  return (
    writesPerEvent * PRICES.dynamoWriteUnitPerMillion +
    ESTIMATES.listIndexItemKb * PRICES.dynamoStorageGbMonth
  );
}

/**
 * The floor of this design as issue #13 states it, line by line: the request, the verifier, claim and
 * finish, the send, batched processing (ten records a batch), minimal logs. Kept as the issue defines it.
 */
export function floorLines(): Record<string, number> {
  return {
    'API Gateway HTTP API': PRICES.apiHttpPerMillion,
    'Verifier request': PRICES.lambdaRequestPerMillion,
    'Claim and finish writes (2 WRU)': 2 * PRICES.dynamoWriteUnitPerMillion,
    SendMessage: PRICES.sqsRequestPerMillion,
    'Receive, delete and processor request, 10 records a batch':
      (2 * PRICES.sqsRequestPerMillion + PRICES.lambdaRequestPerMillion) / 10,
    'Minimal logs (the access line and 140 bytes)':
      ((ESTIMATES.accessLogBytesPerRequest + 140) * 1e6 * PRICES.logsIngestPerGb) / 1e9,
  };
}

export function floorPerMillion(): number {
  return total(floorLines());
}

const logPricePerMillion = (bytesPerEvent: number) =>
  ((bytesPerEvent * 1e6) / 1e9) * (PRICES.logsIngestPerGb + PRICES.logsStoragePerGbMonth);

/**
 * The best variable cost per million events reachable at one record per batch with every invariant and
 * what the runbooks read kept, line by line: today's lines, with the logs cut to what the runbooks need
 * (the access line, Lambda's START/END/REPORT lines, the verifier's one `event queued` line). The
 * processor's own code writes no line on success; the handler's line is the partner's choice.
 */
export function bestReachableLines(inputs: CostInputs): Record<string, number> {
  const logBytes =
    inputs.logs.verifierLogBytesPerEvent +
    ESTIMATES.accessLogBytesPerRequest +
    2 * ESTIMATES.platformLogBytesPerInvocation;
  return { ...variableLines(inputs, 1), 'CloudWatch Logs': logPricePerMillion(logBytes) };
}

/** The target of issue #13 on variable ÷ floor. */
export const VARIABLE_TO_FLOOR_TARGET = 1.5;

/**
 * Why variable ÷ floor cannot reach its target at one record per batch: what the request, the two Lambda
 * requests, the write units every invariant needs and the three SQS requests cost per million events,
 * before any log, duration or storage, against the target's bound (1.5 × the floor).
 */
export function targetArithmetic(inputs: CostInputs) {
  const wru =
    writeUnits(inputs.calls.verifierNewEvent) +
    writeUnits(inputs.calls.processorPerEvent) +
    inputs.listIndexWritesPerEvent;
  const lines: Record<string, number> = {
    'the API Gateway request': PRICES.apiHttpPerMillion,
    'two Lambda requests (the verifier; the processor at one record a batch)':
      2 * PRICES.lambdaRequestPerMillion,
    [`${wru} DynamoDB write units`]: wru * PRICES.dynamoWriteUnitPerMillion,
    'three SQS requests (send, receive, delete)': 3 * PRICES.sqsRequestPerMillion,
  };
  const floor = floorPerMillion();
  return {
    writeUnits: wru,
    lines,
    required: total(lines),
    bound: VARIABLE_TO_FLOOR_TARGET * floor,
    best: total(bestReachableLines(inputs)),
    floor,
  };
}

/**
 * Records per processor batch with a batching window of `windowSeconds` at a steady rate (estimate):
 * the first record opens the window and the others arriving in it join, up to the batch size.
 */
export function recordsPerBatch(eventsPerMonth: number, windowSeconds: number, batchSize = 10): number {
  return Math.min(batchSize, 1 + (eventsPerMonth / ESTIMATES.secondsPerMonth) * windowSeconds);
}

/** Levers weighed for the defaults (docs/cost.md): what each would save per month, priced by the model. */
export function leverSavings(inputs: CostInputs, eventsPerMonth: number): Record<string, number> {
  const perMillion = eventsPerMonth / 1e6;
  const variableAt = (perBatch: number) => total(variableLines(inputs, perBatch));
  return {
    'Lambda system logs at WARN (START/END/REPORT dropped)':
      logPricePerMillion(2 * ESTIMATES.platformLogBytesPerInvocation) * perMillion,
    'Ordering guard off': PRICES.dynamoWriteUnitPerMillion * perMillion,
    'Batching window 1 s': (variableAt(1) - variableAt(recordsPerBatch(eventsPerMonth, 1))) * perMillion,
    'Batching window 5 s': (variableAt(1) - variableAt(recordsPerBatch(eventsPerMonth, 5))) * perMillion,
  };
}

/** Traces X-Ray records in a month for one function invoked `invocations` times (1 per second, then 5%). */
function tracesPerMonth(invocations: number): number {
  const rate = invocations / ESTIMATES.secondsPerMonth;
  const busySeconds = ESTIMATES.secondsPerMonth * (1 - Math.exp(-rate));
  return busySeconds + 0.05 * Math.max(0, invocations - busySeconds);
}

export function xrayPerMonth(eventsPerMonth: number, perBatch: number): number {
  const traces = tracesPerMonth(eventsPerMonth) + tracesPerMonth(eventsPerMonth / perBatch);
  return (traces / 1e6) * PRICES.xrayPerMillionTraces;
}

/** Fixed monthly lines. */
export function fixedLines(inputs: CostInputs): Record<string, number> {
  const series = inputs.logs.metricSeriesHappyPath + (inputs.dashboard ? inputs.dashboardSeries : 0);
  return {
    'Secrets Manager secrets': PRICES.secretPerMonth * inputs.subscriptions,
    'KMS key of the alarm topic': PRICES.kmsKeyPerMonth,
    'CloudWatch alarms': PRICES.alarmMetricPerMonth * inputs.alarmMetrics,
    'CloudWatch dashboard': inputs.dashboard ? PRICES.dashboardPerMonth : 0,
    'Custom metric series (happy path)': PRICES.customMetricPerMonth * series,
    'SQS idle long polls': (ESTIMATES.idlePollRequestsPerMonth / 1e6) * PRICES.sqsRequestPerMillion,
    'Secrets Manager calls (one warm container)':
      (ESTIMATES.secretCallsPerMonth / 1e4) * PRICES.secretsCallsPer10k,
  };
}

/** Records per batch with the default batching window of 0 s: one, at these rates. */
export const RECORDS_PER_BATCH_AT_DEFAULTS = 1;

export function monthlyCost(
  inputs: CostInputs,
  eventsPerMonth: number,
  perBatch = RECORDS_PER_BATCH_AT_DEFAULTS,
) {
  const variable = total(variableLines(inputs, perBatch)) * (eventsPerMonth / 1e6);
  const xray = inputs.xrayTracing ? xrayPerMonth(eventsPerMonth, perBatch) : 0;
  const fixed = total(fixedLines(inputs));
  return { variable, xray, fixed, total: variable + xray + fixed };
}

/** The flat keys `npm run bench` writes (bench/out/latest.json) and the issue's targets read. */
export function costFigures(inputs: CostInputs): Record<string, number> {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    billable_calls_per_event: billableCallsPerEvent(inputs.calls),
    verifier_round_trips: verifierRoundTrips(inputs.calls),
    cost_variable_per_million_usd: round(total(variableLines(inputs, 1))),
    cost_floor_per_million_usd: round(floorPerMillion()),
    cost_fixed_per_month_usd: round(total(fixedLines(inputs))),
    cost_per_month_100k_usd: round(monthlyCost(inputs, 1e5).total),
    cost_per_month_1m_usd: round(monthlyCost(inputs, 1e6).total),
    cost_per_month_10m_usd: round(monthlyCost(inputs, 1e7).total),
    log_bytes_per_event: Math.round(
      inputs.logs.verifierLogBytesPerEvent + inputs.logs.processorLogBytesPerEvent,
    ),
  };
}

/** Reads a JSON block of docs/cost.md (the call-count test's measurements). */
export function readCostBlock<T>(projectRoot: string, name: string): T {
  const doc = readFileSync(path.join(projectRoot, 'docs', 'cost.md'), 'utf8');
  const json = /^```json\s*([\s\S]*?)```$/.exec(readDocBlock(doc, name) ?? '');
  if (!json?.[1]) throw new Error(`docs/cost.md has no ${name} block holding one JSON code block`);
  return JSON.parse(json[1]) as T;
}

/**
 * The configuration before issue #13, as measured then (docs/cost.md at commit 5cd5cb6: the call-count
 * block, the burst's log bytes, 11 happy-path series, 22 alarm metrics), priced with today's model.
 */
export const BEFORE_ISSUE_13: CostInputs = {
  calls: {
    verifierNewEvent: { 'DynamoDB.PutItem': 1, 'DynamoDB.UpdateItem': 1, 'SQS.SendMessage': 1 },
    processorPerEvent: { 'DynamoDB.GetItem': 1, 'DynamoDB.UpdateItem': 3 },
  },
  logs: { verifierLogBytesPerEvent: 830, processorLogBytesPerEvent: 1105, metricSeriesHappyPath: 11 },
  alarmMetrics: 22,
  xrayTracing: true,
  // The dashboard's series were among the 11 published then.
  dashboard: true,
  dashboardSeries: 0,
  subscriptions: 1,
  listIndexWritesPerEvent: 0,
};

/**
 * Happy-path series published only with the dashboard: Enqueued, VerifierDuration, SecretRefresh
 * (AWSCURRENT), Processed for each of the five catalog types, EndToEndLatency and HandlerDuration.
 */
export const DASHBOARD_HAPPY_PATH_SERIES = 10;

/** The three volumes docs/cost.md prices. */
export const VOLUMES = [1e5, 1e6, 1e7] as const;

const usd = (n: number) => `$${n.toFixed(2)}`;
const volumeLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

/** Figures a `cost` run record keeps: before and after, line by line, per volume, and the options. */
export function costRecordFigures(after: CostInputs): Record<string, number> {
  const figures: Record<string, number> = { ...costFigures(after) };
  const round = (n: number) => Math.round(n * 100) / 100;
  for (const [which, inputs] of [
    ['before', BEFORE_ISSUE_13],
    ['after', after],
  ] as const) {
    for (const volume of VOLUMES) {
      const m = monthlyCost(inputs, volume);
      const v = volumeLabel(volume);
      figures[`${which}_${v}_variable`] = round(m.variable);
      figures[`${which}_${v}_xray`] = round(m.xray);
      figures[`${which}_${v}_fixed`] = round(m.fixed);
      figures[`${which}_${v}_total`] = round(m.total);
    }
    for (const [line, value] of Object.entries(variableLines(inputs, 1)))
      figures[`${which}_variable_line:${line}`] = round(value);
    for (const [line, value] of Object.entries(fixedLines(inputs)))
      figures[`${which}_fixed_line:${line}`] = round(value);
  }
  for (const [line, value] of Object.entries(floorLines())) figures[`floor_line:${line}`] = round(value);
  for (const [line, value] of Object.entries(bestReachableLines(after)))
    figures[`best_line:${line}`] = round(value);
  const arithmetic = targetArithmetic(after);
  figures.target_bound_variable_per_million = round(arithmetic.bound);
  figures.target_required_per_million = round(arithmetic.required);
  figures.target_write_units = arithmetic.writeUnits;
  figures.best_variable_per_million = round(arithmetic.best);
  for (const [line, value] of Object.entries(arithmetic.lines))
    figures[`required_line:${line}`] = round(value);
  for (const volume of VOLUMES) {
    const v = volumeLabel(volume);
    for (const [lever, value] of Object.entries(leverSavings(after, volume)))
      figures[`lever_${v}:${lever}`] = round(value);
    figures[`records_per_batch_${v}:1 s`] = Math.round(recordsPerBatch(volume, 1) * 100) / 100;
    figures[`records_per_batch_${v}:5 s`] = Math.round(recordsPerBatch(volume, 5) * 100) / 100;
  }
  for (const volume of VOLUMES) {
    const v = volumeLabel(volume);
    figures[`option_${v}_tracing`] = round(xrayPerMonth(volume, RECORDS_PER_BATCH_AT_DEFAULTS));
    figures[`option_${v}_dashboard`] = round(
      PRICES.dashboardPerMonth + DASHBOARD_HAPPY_PATH_SERIES * PRICES.customMetricPerMonth,
    );
    // The guard's one conditional write per event with a numeric contactId.
    figures[`option_${v}_ordering_guard`] = round((volume / 1e6) * PRICES.dynamoWriteUnitPerMillion);
    // TransactWriteItems bills 2 WRU per item: the finish and one effect row instead of one 1-WRU finish.
    figures[`option_${v}_effects_transaction_per_effect`] = round(
      (volume / 1e6) * (2 * 2 - 1) * PRICES.dynamoWriteUnitPerMillion,
    );
  }
  return figures;
}

/** docs/cost.md's generated tables, from the newest `cost` record. */
export function renderCostBlock(records: readonly RunRecord<Record<string, number>>[]): string {
  const latest = records[records.length - 1];
  if (latest === undefined) return '_No `cost` record yet: run `npm run cost`._';
  const f = latest.figures;
  const get = (key: string) => usd(f[key] ?? Number.NaN);
  const lines: string[] = [];
  lines.push(
    `From \`${latest.command}\` at ${latest.commit} (${latest.date.slice(0, 10)}): the measured calls and log bytes above, the prices below, the estimates marked in tools/cost-model.ts.`,
    '',
    '| Events / month | Before: variable | X-Ray | fixed | **total** | After: variable | X-Ray | fixed | **total** |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const volume of VOLUMES) {
    const v = volumeLabel(volume);
    lines.push(
      `| ${v} | ${get(`before_${v}_variable`)} | ${get(`before_${v}_xray`)} | ${get(`before_${v}_fixed`)} | **${get(`before_${v}_total`)}** | ${get(`after_${v}_variable`)} | ${get(`after_${v}_xray`)} | ${get(`after_${v}_fixed`)} | **${get(`after_${v}_total`)}** |`,
    );
  }
  lines.push('', '**Variable cost per million events, line by line** (one record per batch):', '');
  lines.push('| Line | Before | After |', '| --- | ---: | ---: |');
  const variableKeys = Object.keys(f)
    .filter((k) => k.startsWith('after_variable_line:'))
    .map((k) => k.slice('after_variable_line:'.length));
  for (const line of variableKeys)
    lines.push(
      `| ${line} | ${get(`before_variable_line:${line}`)} | ${get(`after_variable_line:${line}`)} |`,
    );
  lines.push(
    `| **Total** (floor ${get('cost_floor_per_million_usd')}) | | **${get('cost_variable_per_million_usd')}** |`,
  );
  const keysWith = (prefix: string) =>
    Object.keys(f)
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length));
  lines.push(
    '',
    `**The floor, as issue #13 defines it** (ten records a batch, two writes), **and the best variable reachable at one record per batch** with every invariant and what the runbooks read kept (logs cut to the access line, Lambda's START/END/REPORT lines and the verifier's one line):`,
    '',
    '| Floor line | Floor |',
    '| --- | ---: |',
    ...keysWith('floor_line:').map((line) => `| ${line} | ${get(`floor_line:${line}`)} |`),
    `| **Floor** | **${get('cost_floor_per_million_usd')}** |`,
    '',
    '| Line | Best reachable | Today |',
    '| --- | ---: | ---: |',
    ...keysWith('best_line:').map(
      (line) => `| ${line} | ${get(`best_line:${line}`)} | ${get(`after_variable_line:${line}`)} |`,
    ),
    `| **Total** | **${get('best_variable_per_million')}** | **${get('cost_variable_per_million_usd')}** |`,
  );
  const bound = f.target_bound_variable_per_million ?? Number.NaN;
  const required = f.target_required_per_million ?? Number.NaN;
  const floor = f.cost_floor_per_million_usd ?? Number.NaN;
  const ratio = (n: number) => `${(n / floor).toFixed(2)}×`;
  const requiredText = keysWith('required_line:')
    .map((line) => `${line} ${get(`required_line:${line}`)}`)
    .join(', ');
  const overOrUnder =
    required > bound ? `${usd(required - bound)} over the bound` : `${usd(bound - required)} under the bound`;
  lines.push(
    '',
    `**Why the variable ÷ floor target (≤ ${VARIABLE_TO_FLOOR_TARGET}) misses.** ${VARIABLE_TO_FLOOR_TARGET} × the floor is ${usd(bound)} per million events. At one record per batch, ${requiredText} already come to **${usd(required)}**, ${overOrUnder} before any log, Lambda duration or storage. The ${f.target_write_units ?? Number.NaN} write units are the claim (dedupe), the processing lease (no handler runs to success twice), the ordering guard (\`ctx.isStale\`, promised by docs/handlers.md), the finish (the redelivery guard) and the list index (\`events list\`). The floor counts the per-batch calls at ten records a batch and two writes, so at one record per batch the best reachable is ${get('best_variable_per_million')} (${ratio(f.best_variable_per_million ?? Number.NaN)} the floor) and today's is ${get('cost_variable_per_million_usd')} (${ratio(f.cost_variable_per_million_usd ?? Number.NaN)}): the target is reported as missed.`,
  );
  lines.push(
    '',
    '**Fixed cost per month, line by line:**',
    '',
    '| Line | Before | After |',
    '| --- | ---: | ---: |',
  );
  const fixedKeys = Object.keys(f)
    .filter((k) => k.startsWith('after_fixed_line:'))
    .map((k) => k.slice('after_fixed_line:'.length));
  for (const line of fixedKeys)
    lines.push(`| ${line} | ${get(`before_fixed_line:${line}`)} | ${get(`after_fixed_line:${line}`)} |`);
  lines.push(
    '',
    '**Optional features, per month:**',
    '',
    '| Feature | 100k | 1M | 10M |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const [label, key] of [
    ['X-Ray tracing (`xrayTracing: true`)', 'tracing'],
    ['Dashboard and its series (`dashboard: true`)', 'dashboard'],
    ['Ordering guard (on; per event with a numeric contactId)', 'ordering_guard'],
    [
      'Effects API: a commit with one effect row, 2 WRU per item (4 WRU instead of the finish’s 1)',
      'effects_transaction_per_effect',
    ],
  ] as const) {
    lines.push(
      `| ${label} | ${VOLUMES.map((volume) => get(`option_${volumeLabel(volume)}_${key}`)).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    '**Levers weighed, saving per month** (decisions in [Levers](#levers-what-the-defaults-are-and-why)):',
    '',
    '| Lever | 100k | 1M | 10M |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const lever of keysWith('lever_1M:'))
    lines.push(
      `| ${lever} | ${VOLUMES.map((volume) => get(`lever_${volumeLabel(volume)}:${lever}`)).join(' | ')} |`,
    );
  lines.push(
    '',
    `A batching window of W seconds holds about 1 + rate × W records a batch (estimate): ${VOLUMES.map(
      (volume) => {
        const v = volumeLabel(volume);
        return `${f[`records_per_batch_${v}:1 s`]} at 1 s and ${f[`records_per_batch_${v}:5 s`]} at 5 s for ${v}`;
      },
    ).join('; ')}; every event waits up to W seconds longer before its handler runs.`,
  );
  return lines.join('\n');
}
