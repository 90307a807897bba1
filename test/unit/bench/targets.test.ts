import { BENCH_TARGETS, type BenchTarget, judgeTarget } from '../../../tools/bench-targets';

const target = (key: string) => BENCH_TARGETS.find((t) => t.key === key) as BenchTarget;

describe('the verify targets', () => {
  it('judge the median of the per-round ratios when the run recorded them', () => {
    // The medians alone would give 80/100 = 0.8, a MISS; the rounds, run back to back, say 0.86.
    const judged = judgeTarget(target('ratio_verify_vs_raw_limit'), {
      verify_small_ops_per_s: 80,
      raw_limit_small_ops_per_s: 100,
      verify_vs_raw_limit_small_round_median: 0.86,
    });
    expect(judged).toMatchObject({ value: 0.86, outcome: 'PASS' });
  });

  it('judge the ratio of the two medians for a record made before the rounds were paired', () => {
    const judged = judgeTarget(target('ratio_verify_vs_stripe_64k'), {
      verify_64k_ops_per_s: 90,
      stripe_64k_ops_per_s: 100,
    });
    expect(judged).toMatchObject({ value: 0.9, outcome: 'MISS' });
  });

  it('are not rounded up: a round median of 0.8496 misses 0.85', () => {
    const judged = judgeTarget(target('ratio_verify_vs_raw_limit'), {
      verify_vs_raw_limit_small_round_median: 0.8496,
    });
    expect(judged.outcome).toBe('MISS');
  });
});
