/**
 * docs/performance.md's generated blocks, rendered from the committed `npm run bench` records
 * (bench/results/bench-*.json). Each figure is shown over every recorded run: one value when the runs
 * agree, a range when they do not.
 */
import { BENCH_INFORMATIONAL, BENCH_TARGETS, type Figures, targetAcrossRuns } from './bench-targets';
import { describeRecord, figureRange, type RunRecord } from './run-record';

type BenchRecord = RunRecord<Figures>;

function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly string[]) {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align ?? header.map(() => '---')), ...rows.map(line)].join('\n');
}

const none = 'No committed `npm run bench` record yet: run `npm run bench` to produce one.';
const values = (records: readonly BenchRecord[], key: string) => records.map((r) => r.figures[key]);
const ms = (value: number) => `${value.toFixed(1)} ms`;

export function renderBenchRuns(records: readonly BenchRecord[]): string {
  if (records.length === 0) return none;
  return [
    `Rendered from ${records.length === 1 ? 'one run' : `${records.length} runs`} (bench/results/):`,
    '',
    ...records.map((r) => `- ${describeRecord(r)}.`),
  ].join('\n');
}

export function renderBenchTargets(records: readonly BenchRecord[]): string {
  if (records.length === 0) return none;
  const runs = records.map((r) => r.figures);
  const row = (informational: boolean) => (t: (typeof BENCH_TARGETS)[number]) => {
    const { value, verdict } = targetAcrossRuns(t, runs);
    return [informational ? `${t.label} (informational, ${t.op} ${t.bound})` : t.label, value, verdict];
  };
  return table(
    ['Target', 'Measured', 'Verdict'],
    [...BENCH_TARGETS.map(row(false)), ...BENCH_INFORMATIONAL.map(row(true))],
    ['---', '--:', '---'],
  );
}

export function renderBenchPure(records: readonly BenchRecord[]): string {
  if (records.length === 0) return none;
  const cell = (key: string) => figureRange(values(records, key));
  const rows = [
    ['verify', 'verify'],
    ['stripe-node', 'stripe'],
    ['raw limit', 'raw_limit'],
    ['raw limit, key imported once', 'raw_limit_keyobject'],
    ['verify, from the string body', 'verify_from_string'],
    ['stripe-node, from the string body', 'stripe_from_string'],
  ].map(([label, prefix]) => [
    label as string,
    cell(`${prefix}_small_ops_per_s`),
    cell(`${prefix}_64k_ops_per_s`),
    ['verify', 'stripe', 'raw_limit'].includes(prefix as string)
      ? cell(`${prefix}_small_cpu_ops_per_s`)
      : '-',
    ['verify', 'stripe', 'raw_limit'].includes(prefix as string) ? cell(`${prefix}_64k_cpu_ops_per_s`) : '-',
  ]);
  const perRound = (key: string, payload: string) => {
    const ratio = (v: number) => `${v.toFixed(3)}×`;
    const prefix = `verify_vs_${key}_${payload}_round`;
    return `${figureRange(values(records, `${prefix}_median`), ratio)} (rounds from ${figureRange(values(records, `${prefix}_low`), ratio)} to ${figureRange(values(records, `${prefix}_high`), ratio)})`;
  };
  return [
    `Payload sizes: small ${cell('payload_small_bytes')} bytes, 64k ${cell('payload_64k_bytes')} bytes.`,
    '',
    `verify ÷ raw limit, median of the rounds: small ${perRound('raw_limit', 'small')}, 64 KiB ${perRound('raw_limit', '64k')}. verify ÷ stripe-node: small ${perRound('stripe', 'small')}, 64 KiB ${perRound('stripe', '64k')}.`,
    '',
    table(['ops/s', 'small', '64 KiB', 'small, per CPU-second', '64 KiB, per CPU-second'], rows, [
      '---',
      '--:',
      '--:',
      '--:',
      '--:',
    ]),
  ].join('\n');
}

export function renderBenchBundles(records: readonly BenchRecord[]): string {
  if (records.length === 0) return none;
  const rows = [
    ['verifier, as deployed', 'verifier_bundle_bytes'],
    ['processor, as deployed', 'processor_bundle_bytes'],
    ['verifier, SDK bundled from CommonJS builds', 'verifier_bundle_bytes_sdk_bundled'],
    ['verifier, SDK bundled from ES builds, full credential chain', 'verifier_bundle_bytes_sdk_bundled_esm'],
    ['processor, SDK bundled from CommonJS builds', 'processor_bundle_bytes_sdk_bundled'],
    ['naive, SDK bundled from CommonJS builds', 'naive_bundle_bytes_sdk_bundled'],
  ].map(([label, key]) => [label as string, figureRange(values(records, key as string))]);
  return table(['Bundle', 'bytes'], rows, ['---', '--:']);
}

export function renderBenchImport(records: readonly BenchRecord[]): string {
  if (records.length === 0) return none;
  const rows = [
    ['as deployed', 'verifier_import_ms', 'naive_import_ms'],
    ['as deployed, CPU time', 'verifier_import_cpu_ms', 'naive_import_cpu_ms'],
    [
      'both with the SDK bundled from CommonJS builds',
      'verifier_import_ms_sdk_bundled',
      'naive_import_ms_sdk_bundled',
    ],
    [
      'both with the SDK bundled from ES builds, full chain',
      'verifier_import_ms_sdk_bundled_esm',
      'naive_import_ms_sdk_bundled_esm',
    ],
  ].map(([label, a, b]) => [
    label as string,
    figureRange(values(records, a as string), ms),
    figureRange(values(records, b as string), ms),
    figureRange(
      records.map((r) => {
        const x = r.figures[a as string];
        const y = r.figures[b as string];
        return x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
      }),
    ),
  ]);
  return [
    table(['Build', 'verifier', 'naive', 'ratio'], rows, ['---', '--:', '--:', '--:']),
    '',
    `Verifier as deployed with \`--enable-source-maps\` removed: ${figureRange(values(records, 'verifier_import_ms_no_sourcemaps'), ms)}.`,
  ].join('\n');
}

export function renderBenchE2e(records: readonly BenchRecord[]): string {
  if (records.length === 0) return none;
  const f = (key: string) => figureRange(values(records, key));
  const all = (keys: readonly string[]) => keys.map(f).join(' / ');
  const ratioOfKeys = (a: string, b: string) =>
    figureRange(
      records.map((r) => {
        const x = r.figures[a];
        const y = r.figures[b];
        return x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
      }),
      (v) => `${v.toFixed(3)}×`,
    );
  const rows = [
    ['emulator raw (PutItem + SendMessage pairs / s)', f('emulator_raw_ops_per_s')],
    ['e2e (events PROCESSED / s)', f('e2e_events_per_s')],
    ['e2e / emulator raw', ratioOfKeys('e2e_events_per_s', 'emulator_raw_ops_per_s')],
    ['events sent / lost', `${f('e2e_events')} / ${f('e2e_lost_events')}`],
    ['pollers; events a batch', `${f('e2e_pollers')}; ${f('e2e_events_per_batch')}`],
    ['calls the handlers made per event (the model has 5)', f('e2e_handler_calls_per_event')],
    [
      "the product's calls per s: claim / enqueue / lease / guard / finish",
      all([
        'emulator_claim_ops_per_s',
        'emulator_enqueue_ops_per_s',
        'emulator_lease_ops_per_s',
        'emulator_guard_ops_per_s',
        'emulator_finish_ops_per_s',
      ]),
    ],
    ['modelled ceiling from those rates (events / s)', f('e2e_modelled_ceiling_events_per_s')],
    [
      'the same, pass before / after the e2e loop alone',
      all(['e2e_modelled_ceiling_before_events_per_s', 'e2e_modelled_ceiling_after_events_per_s']),
    ],
    [
      "emulator CPU ms per event: e2e / the model's five calls",
      all(['e2e_emulator_cpu_ms_per_event', 'modelled_emulator_cpu_ms_per_event']),
    ],
    [
      'receive + delete, batches of 10: messages / s; emulator CPU ms a message',
      `${f('emulator_receive_delete_messages_per_s')}; ${f('emulator_receive_delete_cpu_ms_per_message')}`,
    ],
    [
      "the e2e process's CPU ms per event (harness, local API, handlers, pollers)",
      f('e2e_node_cpu_ms_per_event'),
    ],
    [
      'simplified calls per s: PutItem / 2-clause UpdateItem / GetItem / SendMessage',
      all([
        'emulator_putitem_ops_per_s',
        'emulator_updateitem_ops_per_s',
        'emulator_getitem_ops_per_s',
        'emulator_sendmessage_ops_per_s',
      ]),
    ],
    [
      'ceiling from the simplified calls (the definition before, events / s)',
      // Records made before the definition changed hold it under the old key.
      figureRange(
        records.map(
          (r) =>
            r.figures.e2e_modelled_ceiling_simple_calls_events_per_s ??
            (r.figures.emulator_claim_ops_per_s === undefined
              ? r.figures.e2e_modelled_ceiling_events_per_s
              : undefined),
        ),
      ),
    ],
  ];
  return table(['Figure', 'Value'], rows, ['---', '--:']);
}

export const BENCH_BLOCKS = {
  'bench-runs': renderBenchRuns,
  'bench-targets': renderBenchTargets,
  'bench-pure': renderBenchPure,
  'bench-bundles': renderBenchBundles,
  'bench-import': renderBenchImport,
  'bench-e2e': renderBenchE2e,
} as const;
