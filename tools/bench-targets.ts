/**
 * The benchmark's targets (docs/performance.md), judged the same way when `npm run bench` prints them
 * and when docs/performance.md renders them from the committed records (bench/results/). A new target
 * (a cost, a call count) is one more entry: its value from the run's flat figures, a bound, and whether
 * missing it fails the run.
 */
import { figureRange } from './run-record';

export type Figures = Readonly<Record<string, number>>;

export interface BenchTarget {
  readonly label: string;
  /** The flat key the value is stored under in latest.json and the record, when it is stored. */
  readonly key?: string;
  readonly value: (figures: Figures) => number | undefined;
  /** `>=`: the value must reach `bound`; `<=`: it must stay at or under it. */
  readonly op: '>=' | '<=';
  readonly bound: number;
  /**
   * Missing it makes `npm run bench` exit 1. For figures that do not move with the machine's load
   * (counts, prices); timing ratios on a shared machine are reported, not gated.
   */
  readonly gate?: boolean;
  /** Shown with "would pass / would miss", never PASS or MISS. */
  readonly informational?: boolean;
  /** A reason the run does not count for this target (e.g. events lost), or undefined. */
  readonly disqualified?: (figures: Figures) => string | undefined;
  /** How to print the value; default: a ratio to 3 decimals with `×`. */
  readonly format?: (value: number) => string;
}

export type Outcome = 'PASS' | 'MISS' | 'not measured';

export interface JudgedTarget {
  readonly target: BenchTarget;
  readonly value: number | undefined;
  readonly outcome: Outcome;
  readonly why?: string;
}

/** `figures[a] / figures[b]`, when both are measured and b > 0. */
export function ratioOf(a: string, b: string): (figures: Figures) => number | undefined {
  return (figures) => {
    const x = figures[a];
    const y = figures[b];
    return x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
  };
}

const ratio = (value: number) => `${value.toFixed(3)}×`;

/**
 * verify against another implementation: the median over rounds of the two rates' ratio, each round
 * running both back to back (bench/pure.ts), when the run recorded it; otherwise (records before it
 * did) the ratio of the two medians.
 */
function verifyAgainst(key: 'raw_limit' | 'stripe', payload: 'small' | '64k') {
  const ofMedians = ratioOf(`verify_${payload}_ops_per_s`, `${key}_${payload}_ops_per_s`);
  return (figures: Figures) => figures[`verify_vs_${key}_${payload}_round_median`] ?? ofMedians(figures);
}

export function judgeTarget(target: BenchTarget, figures: Figures): JudgedTarget {
  const value = target.value(figures);
  if (value === undefined || !Number.isFinite(value))
    return { target, value: undefined, outcome: 'not measured' };
  const why = target.disqualified?.(figures);
  if (why !== undefined) return { target, value, outcome: 'MISS', why };
  const met = target.op === '>=' ? value >= target.bound : value <= target.bound;
  return { target, value, outcome: met ? 'PASS' : 'MISS' };
}

/** One line per target for the terminal: label, value, bound, PASS / MISS (or "would ..."). */
export function formatJudged(judged: readonly JudgedTarget[]): string[] {
  const width = Math.max(0, ...judged.map((j) => j.target.label.length));
  return judged.map(({ target, value, outcome, why }) => {
    const label = target.label.padEnd(width);
    if (value === undefined) return `  ${label}  not measured`;
    const format = target.format ?? ratio;
    const verdict = target.informational
      ? `(${outcome === 'PASS' ? 'would pass' : 'would miss'}; informational)`
      : `${outcome}${target.gate ? ' (gate)' : ''}${why ? `: ${why}` : ''}`;
    return `  ${label}  ${format(value).padStart(9)} ${target.op} ${format(target.bound)}  ${verdict}`;
  });
}

/**
 * A target over several recorded runs, for the docs: the value (a range when the runs disagree) and
 * PASS only when every run passed; `MISS` when every run missed; otherwise `MISS in k of n runs`.
 */
export function targetAcrossRuns(
  target: BenchTarget,
  runs: readonly Figures[],
): { value: string; verdict: string } {
  const judged = runs.map((figures) => judgeTarget(target, figures));
  const measured = judged.filter((j) => j.outcome !== 'not measured');
  const value = figureRange(
    judged.map((j) => j.value),
    target.format ?? ratio,
  );
  if (measured.length === 0) return { value, verdict: 'not measured' };
  const missed = measured.filter((j) => j.outcome === 'MISS').length;
  const word = target.informational ? 'would miss' : 'MISS';
  const verdict =
    missed === 0
      ? target.informational
        ? 'would pass'
        : 'PASS'
      : missed === measured.length
        ? word
        : `${word} in ${missed} of ${measured.length} runs`;
  return { value, verdict };
}

/** The targets of docs/performance.md. Ratios are of the medians `npm run bench` measures. */
export const BENCH_TARGETS: readonly BenchTarget[] = [
  {
    label: 'verify ≥ 1.0× stripe-node, small payload (headline)',
    key: 'ratio_verify_vs_stripe',
    value: verifyAgainst('stripe', 'small'),
    op: '>=',
    bound: 1,
  },
  {
    label: 'verify ≥ 1.0× stripe-node, 64 KiB',
    key: 'ratio_verify_vs_stripe_64k',
    value: verifyAgainst('stripe', '64k'),
    op: '>=',
    bound: 1,
  },
  {
    label: 'verify ≥ 0.85× raw limit, small payload (headline)',
    key: 'ratio_verify_vs_raw_limit',
    value: verifyAgainst('raw_limit', 'small'),
    op: '>=',
    bound: 0.85,
  },
  {
    label: 'verify ≥ 0.85× raw limit, 64 KiB',
    key: 'ratio_verify_vs_raw_limit_64k',
    value: verifyAgainst('raw_limit', '64k'),
    op: '>=',
    bound: 0.85,
  },
  {
    label: 'verifier cold import ≤ 0.6× naive bundle (as deployed)',
    key: 'ratio_verifier_vs_naive_import',
    value: ratioOf('verifier_import_ms', 'naive_import_ms'),
    op: '<=',
    bound: 0.6,
  },
  {
    // Issue #13 replaced "e2e ≥ 0.5× emulator raw" (unreachable by design at seven calls an event). The
    // single calls are the product's own since the ceiling was found to model simpler ones
    // (docs/performance.md §4); the simplified-call ceiling is an informational row below.
    label: "e2e ≥ 0.8× the ceiling modelled from the single-call rates of the product's own calls",
    key: 'ratio_e2e_vs_modelled_ceiling',
    value: ratioOf('e2e_events_per_s', 'e2e_modelled_ceiling_events_per_s'),
    op: '>=',
    bound: 0.8,
    disqualified: (f) => ((f.e2e_lost_events ?? 0) > 0 ? `${f.e2e_lost_events} events lost` : undefined),
  },
  {
    label: 'cost per month at 1M events, fixed and tracing included (USD)',
    key: 'cost_per_month_1m_usd',
    value: (f) => f.cost_per_month_1m_usd,
    op: '<=',
    bound: 12,
    gate: true,
    format: (v) => `$${v.toFixed(2)}`,
  },
  {
    label: 'variable cost ≤ 1.5× the floor, per million events (one record per batch)',
    key: 'ratio_cost_variable_vs_floor',
    value: ratioOf('cost_variable_per_million_usd', 'cost_floor_per_million_usd'),
    op: '<=',
    bound: 1.5,
  },
  {
    label: 'billable calls per event (the call-count test)',
    key: 'billable_calls_per_event',
    value: (f) => f.billable_calls_per_event,
    op: '<=',
    bound: 5,
    gate: true,
    format: (v) => String(v),
  },
  {
    label: 'verifier round trips before answering a new event',
    key: 'verifier_round_trips',
    value: (f) => f.verifier_round_trips,
    op: '<=',
    bound: 2,
    gate: true,
    format: (v) => String(v),
  },
  {
    label: 'e2e loses no event',
    key: 'e2e_lost_events',
    value: (f) => f.e2e_lost_events,
    op: '<=',
    bound: 0,
    gate: true,
    format: (v) => String(v),
  },
];

/** Rows printed beside the targets: the same comparisons per CPU-second, other builds, string bodies. */
export const BENCH_INFORMATIONAL: readonly BenchTarget[] = [
  {
    // The same comparison by the emulator's CPU instead of the wall clock: how much of its work per e2e
    // event the model's calls account for. Hardly moves with the machine's load.
    label: "e2e / ceiling by the emulator's CPU per event",
    value: ratioOf('modelled_emulator_cpu_ms_per_event', 'e2e_emulator_cpu_ms_per_event'),
    op: '>=',
    bound: 0.8,
    informational: true,
  },
  {
    label: 'e2e / the ceiling from simplified calls (the definition before)',
    value: ratioOf('e2e_events_per_s', 'e2e_modelled_ceiling_simple_calls_events_per_s'),
    op: '>=',
    bound: 0.8,
    informational: true,
  },
  {
    label: 'verify / stripe-node, small, CPU time',
    value: ratioOf('verify_small_cpu_ops_per_s', 'stripe_small_cpu_ops_per_s'),
    op: '>=',
    bound: 1,
    informational: true,
  },
  {
    label: 'verify / raw limit, small, CPU time',
    value: ratioOf('verify_small_cpu_ops_per_s', 'raw_limit_small_cpu_ops_per_s'),
    op: '>=',
    bound: 0.85,
    informational: true,
  },
  {
    label: 'verify / raw limit, 64 KiB, CPU time',
    value: ratioOf('verify_64k_cpu_ops_per_s', 'raw_limit_64k_cpu_ops_per_s'),
    op: '>=',
    bound: 0.85,
    informational: true,
  },
  {
    label: 'verifier / naive cold import, CPU time (as deployed)',
    value: ratioOf('verifier_import_cpu_ms', 'naive_import_cpu_ms'),
    op: '<=',
    bound: 0.6,
    informational: true,
  },
  {
    label: 'verify / raw limit with an imported key, small',
    value: ratioOf('verify_small_ops_per_s', 'raw_limit_keyobject_small_ops_per_s'),
    op: '>=',
    bound: 0.85,
    informational: true,
  },
  {
    label: 'verifier / naive cold import, SDK bundled',
    value: ratioOf('verifier_import_ms_sdk_bundled', 'naive_import_ms_sdk_bundled'),
    op: '<=',
    bound: 0.6,
    informational: true,
  },
  {
    label: 'verifier / naive cold import, SDK bundled, ES builds',
    value: ratioOf('verifier_import_ms_sdk_bundled_esm', 'naive_import_ms_sdk_bundled_esm'),
    op: '<=',
    bound: 0.6,
    informational: true,
  },
  {
    label: 'verify / stripe-node from the string body, small',
    value: ratioOf('verify_from_string_small_ops_per_s', 'stripe_from_string_small_ops_per_s'),
    op: '>=',
    bound: 1,
    informational: true,
  },
  {
    label: 'verify / stripe-node from the string body, 64 KiB',
    value: ratioOf('verify_from_string_64k_ops_per_s', 'stripe_from_string_64k_ops_per_s'),
    op: '>=',
    bound: 1,
    informational: true,
  },
];
