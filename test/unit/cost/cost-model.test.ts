import * as path from 'node:path';
import {
  BEFORE_ISSUE_13,
  billableCallsPerEvent,
  type CallCounts,
  type CostInputs,
  costFigures,
  fixedLines,
  floorPerMillion,
  type LogFigures,
  monthlyCost,
  readCostBlock,
  verifierRoundTrips,
} from '../../../tools/cost-model';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Today's measured blocks, with the default stack's features off and a fixed alarm count. */
const today = (overrides: Partial<CostInputs> = {}): CostInputs => ({
  calls: readCostBlock<CallCounts>(ROOT, 'call-counts'),
  logs: readCostBlock<LogFigures>(ROOT, 'log-bytes'),
  alarmMetrics: 22,
  xrayTracing: false,
  dashboard: false,
  dashboardSeries: 10,
  subscriptions: 1,
  ...overrides,
});

describe('the cost model', () => {
  it('reads 5 billable calls and 2 verifier round trips off the call-count block the integration test pins', () => {
    const { calls } = today();

    expect(billableCallsPerEvent(calls)).toBe(5);
    expect(verifierRoundTrips(calls)).toBe(2);
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
    expect(withDashboard['Custom metric series (happy path)']).toBeCloseTo(0.3 * 11, 5);
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
});
