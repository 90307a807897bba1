/**
 * `npm run bench`: every figure of docs/performance.md from one run on one machine. Prints a table and
 * the targets (PASS / MISS), and writes bench/out/latest.json (a flat object of named numbers), a run
 * record in bench/results/ and the generated blocks of docs/performance.md; a `--quick` or `--only`
 * run, or one where a stage failed, writes bench/out/partial.json only. A failed stage (the e2e stage
 * without its emulator, say) or a missed gated target makes it exit 1, naming the cause (bench/stages.ts).
 *
 *   npm run bench                      everything (about 4 minutes)
 *   npm run bench -- --quick           fewer rounds and smaller counts, for a smoke test
 *   npm run bench -- --only=pure,e2e   a subset: pure, bundles, import, e2e, cost
 *   npm run bench -- --note "..."      a note kept in the run record (e.g. why the sizes are small)
 *   npm run bench -- --no-record       write latest.json only, no record and no doc change
 *
 * Knobs (environment): BENCH_SECONDS (0.5 s per measurement slice), BENCH_ROUNDS (11),
 * BENCH_IMPORT_RUNS (15), BENCH_E2E_EVENTS (1000), BENCH_RAW_OPS (2000), BENCH_CONCURRENCY (8),
 * BENCH_POLLERS (5), BENCH_WINDOW (40).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { VERIFIER_RUNTIME_SOURCE_MAPS } from '../lib/verifier-function';
import { BENCH_INFORMATIONAL, BENCH_TARGETS, formatJudged, judgeTarget } from '../tools/bench-targets';
import { defaultCostInputs } from '../tools/cost-inputs';
import { costFigures } from '../tools/cost-model';
import { renderDocBlocks } from '../tools/doc-blocks';
import { DOC_BLOCKS } from '../tools/generated-docs';
import {
  currentCommit,
  formatNumber,
  newRunRecord,
  withoutOption,
  writeRunRecord,
} from '../tools/run-record';
import { buildAllBundles, PROJECT_ROOT, smithyExcluded } from './bundles';
import { runE2e } from './e2e';
import { compareImports } from './import-time';
import { PAYLOAD_NAMES, runPure } from './pure';
import { benchEnd, e2eResultOrThrow, runStage, type StageFailure } from './stages';
import { median } from './stats';

const OUT_DIR = path.join(PROJECT_ROOT, 'bench', 'out');
/** A full run's figures; `--quick` and `--only` runs go to partial.json so they never replace them. */
const OUT_FILE = path.join(OUT_DIR, 'latest.json');
const PARTIAL_FILE = path.join(OUT_DIR, 'partial.json');
const RECORDS_DIR = path.join(PROJECT_ROOT, 'bench', 'results');
const STAGES = ['pure', 'bundles', 'import', 'e2e', 'cost'] as const;
type Stage = (typeof STAGES)[number];

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
  return value;
}

interface Row {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      note: { type: 'string' },
      'no-record': { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const quick = values.quick === true;
  const requested = values.only?.split(',').map((s) => s.trim()) ?? [...STAGES];
  const unknown = requested.filter((s) => !(STAGES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`--only takes ${STAGES.join(', ')}; not ${unknown.join(', ')}`);
  const only = new Set(requested as Stage[]);
  const seconds = envNumber('BENCH_SECONDS', quick ? 0.25 : 0.5);
  const rounds = Math.round(envNumber('BENCH_ROUNDS', quick ? 5 : 11));
  const importRuns = Math.round(envNumber('BENCH_IMPORT_RUNS', quick ? 5 : 15));
  const e2eEvents = Math.round(envNumber('BENCH_E2E_EVENTS', quick ? 200 : 1000));
  const rawOps = Math.round(envNumber('BENCH_RAW_OPS', quick ? 500 : 2000));
  const concurrency = Math.round(envNumber('BENCH_CONCURRENCY', 8));
  const pollers = Math.round(envNumber('BENCH_POLLERS', 5));

  const results: Record<string, number> = {};
  const rows: Row[] = [];
  const notes: string[] = [];
  const put = (name: string, value: number, unit: string) => {
    // Ratios keep every digit: rounded to two places, 0.846 would print and judge as 0.85.
    results[name] = Number.isInteger(value) || unit === 'ratio' ? value : Math.round(value * 100) / 100;
    rows.push({ name, value, unit });
  };

  const failures: StageFailure[] = [];
  const startedAt = new Date();
  const commit = currentCommit(PROJECT_ROOT);
  const cpus = os.cpus();
  say(
    `fpt-webhook-receiver benchmarks: node ${process.version}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}`,
  );
  say(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  results.generated_at_unix_ms = Date.now();
  results.cpu_count = cpus.length;
  results.node_major = Number(process.versions.node.split('.')[0]);
  results.load_average_1m_at_start = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;

  // 1. Signature verification + envelope parsing, interleaved in this process.
  if (only.has('pure'))
    await runStage(
      'pure',
      () => {
        say(`\n[pure] ${rounds} interleaved rounds of ${seconds} s per implementation and payload`);
        const pure = runPure({ seconds, rounds, warmupSeconds: Math.max(0.3, seconds), log: say });
        for (const name of PAYLOAD_NAMES) {
          put(`payload_${name}_bytes`, pure.payloadBytes[name], 'bytes');
          put(`verify_${name}_ops_per_s`, pure.medians[`verify.${name}`] ?? 0, 'ops/s');
          put(`stripe_${name}_ops_per_s`, pure.medians[`stripe.${name}`] ?? 0, 'ops/s');
          put(`raw_limit_${name}_ops_per_s`, pure.medians[`raw.${name}`] ?? 0, 'ops/s');
          put(`raw_limit_keyobject_${name}_ops_per_s`, pure.medians[`raw_key.${name}`] ?? 0, 'ops/s');
          put(`verify_from_string_${name}_ops_per_s`, pure.medians[`verify_str.${name}`] ?? 0, 'ops/s');
          put(`stripe_from_string_${name}_ops_per_s`, pure.medians[`stripe_str.${name}`] ?? 0, 'ops/s');
        }
        // Per CPU second: the same measurements, steadier when other processes share the machine.
        for (const name of PAYLOAD_NAMES) {
          put(`verify_${name}_cpu_ops_per_s`, pure.cpuMedians[`verify.${name}`] ?? 0, 'ops/cpu-s');
          put(`stripe_${name}_cpu_ops_per_s`, pure.cpuMedians[`stripe.${name}`] ?? 0, 'ops/cpu-s');
          put(`raw_limit_${name}_cpu_ops_per_s`, pure.cpuMedians[`raw.${name}`] ?? 0, 'ops/cpu-s');
        }
        // verify against raw and stripe-node round by round (they run back to back): the targets' values.
        for (const name of PAYLOAD_NAMES)
          for (const [other, key] of [
            ['raw', 'raw_limit'],
            ['stripe', 'stripe'],
          ] as const) {
            const ratios = pure.pairedRatios[`verify/${other}.${name}`] ?? [];
            if (ratios.length === 0) continue;
            put(`verify_vs_${key}_${name}_round_median`, median(ratios), 'ratio');
            put(`verify_vs_${key}_${name}_round_low`, Math.min(...ratios), 'ratio');
            put(`verify_vs_${key}_${name}_round_high`, Math.max(...ratios), 'ratio');
          }
        // The headline figures are the small payload's: every documented v1.1 event is about that size.
        put('verify_ops_per_s', results.verify_small_ops_per_s ?? 0, 'ops/s');
        put('stripe_ops_per_s', results.stripe_small_ops_per_s ?? 0, 'ops/s');
        put('raw_limit_ops_per_s', results.raw_limit_small_ops_per_s ?? 0, 'ops/s');
      },
      failures,
      say,
    );

  // 2. Bundles, built as CDK builds them.
  let bundles: Awaited<ReturnType<typeof buildAllBundles>> | undefined;
  if (only.has('bundles') || only.has('import'))
    await runStage(
      only.has('bundles') ? 'bundles' : 'import',
      async () => {
        say(
          `\n[bundles] ours: LAMBDA_BUNDLING from lib/webhook-function.ts (SDK bundled, ES builds); naive: NodejsFunction defaults, external ${smithyExcluded() ? '@aws-sdk/* @smithy/*' : '@aws-sdk/*'}`,
        );
        bundles = await buildAllBundles(say);
        const b = bundles.bundles;
        if (only.has('bundles')) {
          if (b.verifier) put('verifier_bundle_bytes', b.verifier.bytes, 'bytes');
          if (b.processor) put('processor_bundle_bytes', b.processor.bytes, 'bytes');
          else
            notes.push(`processor_bundle_bytes: not measured (${bundles.skipped.processor ?? 'not built'})`);
          if (b.verifier_sdk_bundled)
            put('verifier_bundle_bytes_sdk_bundled', b.verifier_sdk_bundled.bytes, 'bytes');
          if (b.verifier_sdk_bundled_esm) {
            put('verifier_bundle_bytes_sdk_bundled_esm', b.verifier_sdk_bundled_esm.bytes, 'bytes');
          }
          if (b.processor_sdk_bundled)
            put('processor_bundle_bytes_sdk_bundled', b.processor_sdk_bundled.bytes, 'bytes');
          if (b.naive_sdk_bundled) put('naive_bundle_bytes_sdk_bundled', b.naive_sdk_bundled.bytes, 'bytes');
        }
      },
      failures,
      say,
    );

  // 3. Cold import: our verifier against the naive all-clients bundle, each pair built the same way.
  const built = bundles;
  if (only.has('import') && built !== undefined)
    await runStage(
      'import',
      () => {
        const bundles = built;
        say(`\n[import] median of ${importRuns} fresh node processes each, alternating`);
        const variants: Array<[suffix: string, keySuffix: string, label: string]> = [
          ['', '', 'as deployed (ours: LAMBDA_BUNDLING; naive: NodejsFunction defaults)'],
          ['_sdk_bundled', '_sdk_bundled', 'SDK bundled (CommonJS builds)'],
          ['_sdk_bundled_esm', '_sdk_bundled_esm', 'SDK bundled (ES builds, tree-shaken)'],
        ];
        for (const [suffix, keySuffix, label] of variants) {
          const verifier = bundles.bundles[`verifier${suffix}`];
          const naive = bundles.bundles[`naive${suffix}`];
          if (verifier === undefined || naive === undefined) continue;
          // As deployed: the verifier without runtime source maps (lib/verifier-function.ts), the naive bundle
          // as NodejsFunction ships it by default (no source maps). The other rows compare like with like.
          const c =
            keySuffix === ''
              ? compareImports(
                  { file: verifier.file, sourceMaps: VERIFIER_RUNTIME_SOURCE_MAPS },
                  { file: naive.file, sourceMaps: false },
                  importRuns,
                )
              : compareImports({ file: verifier.file }, { file: naive.file }, importRuns);
          say(
            `  ${label}: verifier ${c.medianA.toFixed(1)} ms, naive ${c.medianB.toFixed(1)} ms (ratio ${(c.medianA / c.medianB).toFixed(2)})`,
          );
          put(`verifier_import_ms${keySuffix}`, c.medianA, 'ms');
          put(`naive_import_ms${keySuffix}`, c.medianB, 'ms');
          if (keySuffix === '') {
            put('verifier_import_cpu_ms', c.cpuA, 'ms');
            put('naive_import_cpu_ms', c.cpuB, 'ms');
          }
        }
        // What NODE_OPTIONS=--enable-source-maps costs at load (Node reads and parses the .map up front).
        for (const [suffix, keySuffix] of [
          ['', ''],
          ['_sdk_bundled_esm', '_sdk_bundled_esm'],
        ] as const) {
          const verifier = bundles.bundles[`verifier${suffix}`];
          if (verifier === undefined) continue;
          const c = compareImports(
            { file: verifier.file },
            { file: verifier.file, sourceMaps: false },
            importRuns,
          );
          say(
            `  verifier${suffix}: ${c.medianA.toFixed(1)} ms with --enable-source-maps, ${c.medianB.toFixed(1)} ms without`,
          );
          put(`verifier_import_ms${keySuffix}_no_sourcemaps`, c.medianB, 'ms');
        }
      },
      failures,
      say,
    );

  // 4. End to end on the local emulator stack.
  if (only.has('e2e'))
    await runStage(
      'e2e',
      async () => {
        say(
          `\n[e2e] ${rawOps} raw pairs, ${e2eEvents} events, concurrency ${concurrency}, ${pollers} pollers`,
        );
        const outcome = await runE2e({
          events: e2eEvents,
          rawOps,
          callOps: quick ? 100 : 300,
          concurrency,
          window: Math.round(envNumber('BENCH_WINDOW', 40)),
          pollers,
          timeoutMs: 15 * 60_000,
        });
        {
          const r = e2eResultOrThrow(outcome);
          put('emulator_raw_ops_per_s', r.emulator_raw_ops_per_s, 'pairs/s');
          put('e2e_events_per_s', r.e2e_events_per_s, 'events/s');
          put('e2e_events', r.e2e_events, 'events');
          put('e2e_lost_events', r.e2e_lost_events, 'events');
          put('e2e_pollers', r.e2e_pollers, 'pollers');
          put('emulator_putitem_ops_per_s', r.emulator_putitem_ops_per_s, 'ops/s');
          put('emulator_updateitem_ops_per_s', r.emulator_updateitem_ops_per_s, 'ops/s');
          put('emulator_getitem_ops_per_s', r.emulator_getitem_ops_per_s, 'ops/s');
          put('emulator_sendmessage_ops_per_s', r.emulator_sendmessage_ops_per_s, 'ops/s');
          put('emulator_claim_ops_per_s', r.emulator_claim_ops_per_s, 'ops/s');
          put('emulator_enqueue_ops_per_s', r.emulator_enqueue_ops_per_s, 'ops/s');
          put('emulator_lease_ops_per_s', r.emulator_lease_ops_per_s, 'ops/s');
          put('emulator_guard_ops_per_s', r.emulator_guard_ops_per_s, 'ops/s');
          put('emulator_finish_ops_per_s', r.emulator_finish_ops_per_s, 'ops/s');
          put('e2e_modelled_ceiling_events_per_s', r.e2e_modelled_ceiling_events_per_s, 'events/s');
          put(
            'e2e_modelled_ceiling_before_events_per_s',
            r.e2e_modelled_ceiling_before_events_per_s,
            'events/s',
          );
          put(
            'e2e_modelled_ceiling_after_events_per_s',
            r.e2e_modelled_ceiling_after_events_per_s,
            'events/s',
          );
          put(
            'e2e_modelled_ceiling_simple_calls_events_per_s',
            r.e2e_modelled_ceiling_simple_calls_events_per_s,
            'events/s',
          );
          put('e2e_handler_calls_per_event', r.e2e_handler_calls_per_event, 'calls');
          put('e2e_events_per_batch', r.e2e_events_per_batch, 'events');
          put('e2e_node_cpu_ms_per_event', r.e2e_node_cpu_ms_per_event, 'ms');
          if (r.e2e_emulator_cpu_ms_per_event !== undefined)
            put('e2e_emulator_cpu_ms_per_event', r.e2e_emulator_cpu_ms_per_event, 'ms');
          if (r.emulator_receive_delete_messages_per_s !== undefined)
            put('emulator_receive_delete_messages_per_s', r.emulator_receive_delete_messages_per_s, 'msgs/s');
          if (r.emulator_receive_delete_cpu_ms_per_message !== undefined)
            put(
              'emulator_receive_delete_cpu_ms_per_message',
              r.emulator_receive_delete_cpu_ms_per_message,
              'ms',
            );
          if (r.modelled_emulator_cpu_ms_per_event !== undefined)
            put('modelled_emulator_cpu_ms_per_event', r.modelled_emulator_cpu_ms_per_event, 'ms');
        }
      },
      failures,
      say,
    );

  // 5. The cost model at the defaults (tools/cost-model.ts): the call-count test's measurements in
  // docs/cost.md, the synthesized stack's alarms, list prices.
  if (only.has('cost'))
    await runStage(
      'cost',
      () => {
        say("\n[cost] the default configuration priced from docs/cost.md's measured blocks (npm run cost)");
        const figures = costFigures(defaultCostInputs(PROJECT_ROOT));
        for (const [key, value] of Object.entries(figures))
          put(
            key,
            value,
            key.endsWith('_usd') ? 'USD' : key.endsWith('_bytes_per_event') ? 'bytes' : 'count',
          );
      },
      failures,
      say,
    );

  // Targets (docs/performance.md, tools/bench-targets.ts). Ratios are of the medians above.
  const judged = BENCH_TARGETS.map((t) => judgeTarget(t, results));
  for (const j of judged)
    if (j.target.key !== undefined && j.value !== undefined && results[j.target.key] === undefined)
      results[j.target.key] = Math.round(j.value * 1000) / 1000;

  const nameWidth = Math.max(...rows.map((r) => r.name.length), 10);
  say(`\n${'name'.padEnd(nameWidth)}  ${'value'.padStart(12)}  unit`);
  say(`${'-'.repeat(nameWidth)}  ${'-'.repeat(12)}  ${'-'.repeat(8)}`);
  for (const row of rows)
    say(`${row.name.padEnd(nameWidth)}  ${formatNumber(row.value).padStart(12)}  ${row.unit}`);

  say('\ntargets');
  for (const line of formatJudged([...judged, ...BENCH_INFORMATIONAL.map((t) => judgeTarget(t, results))]))
    say(line);
  for (const note of notes) say(`  note: ${note}`);

  const loadAtEnd = os.loadavg()[0] ?? 0;
  results.load_average_1m_at_end = Math.round(loadAtEnd * 100) / 100;
  const busiest = Math.max(results.load_average_1m_at_start ?? 0, loadAtEnd);
  if (busiest > cpus.length * 0.75) {
    say(
      `\nwarning: the machine was busy (1-minute load up to ${busiest.toFixed(1)} on ${cpus.length} CPUs). Wall-clock figures and their ratios are noisy; the CPU-time rows are steadier. Re-run when the machine is quiet before recording numbers.`,
    );
  }

  const end = benchEnd({ failures, judged, complete: !quick && only.size === STAGES.length });
  const file = end.output === 'latest' ? OUT_FILE : PARTIAL_FILE;
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  say(`\nwrote ${path.relative(process.cwd(), file)}`);
  if (end.output === 'latest' && values['no-record'] !== true) {
    const args = withoutOption(process.argv.slice(2), 'note');
    const record = newRunRecord(PROJECT_ROOT, {
      kind: 'bench',
      command: `${benchKnobs()}npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
      startedAt,
      commit,
      ...(values.note === undefined ? {} : { note: values.note }),
      figures: results,
    });
    say(`wrote ${path.relative(process.cwd(), writeRunRecord(RECORDS_DIR, record))}`);
    for (const doc of renderDocBlocks(PROJECT_ROOT, 'bench', DOC_BLOCKS)) say(`rendered ${doc}`);
  }
  for (const reason of end.reasons) say(`FAILED: ${reason}`);
  process.exitCode = end.exitCode;
}

/** The BENCH_* knobs this run was given, as the command's prefix (they change what a figure means). */
function benchKnobs(): string {
  return Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value} `)
    .sort()
    .join('');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});
