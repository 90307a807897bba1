import * as path from 'node:path';
import {
  BEFORE_ISSUE_13,
  bestReachableLines,
  billableCallsPerEvent,
  type CallCounts,
  type CostInputs,
  costFigures,
  fixedLines,
  floorLines,
  floorPerMillion,
  type LogFigures,
  leverSavings,
  listIndexWritesPerNewEvent,
  monthlyCost,
  PRICES,
  readCostBlock,
  recordsPerBatch,
  targetArithmetic,
  variableLines,
  verifierRoundTrips,
} from '../../../tools/cost-model';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Today's measured blocks, with the default stack's features off and a fixed alarm count. */
const calls = readCostBlock<CallCounts>(ROOT, 'call-counts');
const today = (overrides: Partial<CostInputs> = {}): CostInputs => ({
  calls,
  logs: readCostBlock<LogFigures>(ROOT, 'log-bytes'),
  alarmMetrics: 22,
  xrayTracing: false,
  dashboard: false,
  dashboardSeries: 10,
  subscriptions: 1,
  listIndexWritesPerEvent: listIndexWritesPerNewEvent(calls),
  ...overrides,
});

describe('the cost model', () => {
  it('reads 5 billable calls, 2 verifier round trips and 1 list index write off the call-count block the integration test pins', () => {
    expect(billableCallsPerEvent(calls)).toBe(5);
    expect(verifierRoundTrips(calls)).toBe(2);
    expect(listIndexWritesPerNewEvent(calls)).toBe(1);
  });

  it('prices the configuration before issue #13 within 1% of the $26.71 docs/cost.md gave for it', () => {
    const before = monthlyCost(BEFORE_ISSUE_13, 1e6).total;

    expect(Math.abs(before / 26.71 - 1)).toBeLessThan(0.01);
  });

  it('puts the issue floor at about $3.2 per million: request, verifier, two writes, the send, batched processing, minimal logs', () => {
    expect(floorPerMillion()).toBeGreaterThan(3.1);
    expect(floorPerMillion()).toBeLessThan(3.3);
  });

  it('charges tracing and the dashboard only when they are on', () => {
    const off = monthlyCost(today(), 1e6);
    const traced = monthlyCost(today({ xrayTracing: true }), 1e6);
    const withDashboard = fixedLines(today({ dashboard: true }));

    expect(off.xray).toBe(0);
    expect(traced.xray).toBeGreaterThan(5);
    expect(withDashboard['CloudWatch dashboard']).toBe(3);
    // No series on a healthy stack without it (deliveries are Lambda's Invocations), ten with it.
    expect(fixedLines(today())['Custom metric series (happy path)']).toBe(0);
    expect(withDashboard['Custom metric series (happy path)']).toBeCloseTo(0.3 * 10, 5);
  });

  it('writes every key the issue names, and a fewer-calls configuration costs less per event', () => {
    const figures = costFigures(today());
    const moreCalls = costFigures({ ...today(), calls: BEFORE_ISSUE_13.calls });

    expect(Object.keys(figures)).toEqual(
      expect.arrayContaining([
        'cost_per_month_1m_usd',
        'cost_variable_per_million_usd',
        'cost_floor_per_million_usd',
        'billable_calls_per_event',
        'verifier_round_trips',
      ]),
    );
    expect(moreCalls.cost_variable_per_million_usd).toBeGreaterThan(
      figures.cost_variable_per_million_usd as number,
    );
  });

  it('prices the list index as its own line: one write unit per new event plus its items storage', () => {
    const withIndex = variableLines(today(), 1);
    const without = variableLines(today({ listIndexWritesPerEvent: 0 }), 1);

    expect(without['DynamoDB list index (byReceivedDay)']).toBe(0);
    expect(withIndex['DynamoDB list index (byReceivedDay)']).toBeGreaterThan(
      PRICES.dynamoWriteUnitPerMillion,
    );
    expect(withIndex['DynamoDB list index (byReceivedDay)']).toBeLessThan(
      PRICES.dynamoWriteUnitPerMillion + 0.1,
    );
    expect(withIndex['DynamoDB writes and reads']).toBe(without['DynamoDB writes and reads']);
  });

  it('states the floor line by line, and the lines add up to the floor', () => {
    const lines = floorLines();

    expect(Object.keys(lines)).toHaveLength(6);
    expect(Object.values(lines).reduce((a, b) => a + b, 0)).toBeCloseTo(floorPerMillion(), 10);
  });

  it('shows the 1.5x target unreachable at one record per batch: the invariants calls alone exceed 1.5x the floor', () => {
    const arithmetic = targetArithmetic(today());

    // Claim, lease, ordering guard, finish, list index.
    expect(arithmetic.writeUnits).toBe(5);
    expect(arithmetic.required).toBeCloseTo(1 + 0.4 + 5 * 0.625 + 1.2, 10);
    expect(arithmetic.required).toBeGreaterThan(arithmetic.bound);
    expect(arithmetic.best).toBeGreaterThan(arithmetic.required);
  });

  it('cuts only the logs for the best reachable, keeping every write and call', () => {
    const best = bestReachableLines(today());
    const now = variableLines(today(), 1);

    expect(best['CloudWatch Logs']).toBeLessThan(now['CloudWatch Logs'] as number);
    expect({ ...best, 'CloudWatch Logs': 0 }).toEqual({ ...now, 'CloudWatch Logs': 0 });
  });

  it('fills batches by rate × window, up to the batch size, and a window saves only what is paid per batch', () => {
    expect(recordsPerBatch(1e6, 0)).toBe(1);
    expect(recordsPerBatch(2.592e6, 1)).toBeCloseTo(2, 10);
    expect(recordsPerBatch(1e9, 5)).toBe(10);
    const levers = leverSavings(today(), 1e6);
    expect(levers['Batching window 5 s']).toBeGreaterThan(levers['Batching window 1 s'] as number);
    expect(levers['Ordering guard off']).toBeCloseTo(0.625, 10);
  });
});
