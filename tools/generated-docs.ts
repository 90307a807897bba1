/**
 * Every generated block of the docs, in one list: which doc, which marker, which records, how rendered.
 * test/unit/doc-blocks.test.ts holds each doc to its records; the scripts that write records render
 * the blocks of their kind with renderDocBlocks(PROJECT_ROOT, kind, DOC_BLOCKS).
 */
import { BENCH_BLOCKS } from './bench-report';
import { renderBurst } from './burst-report';
import { renderCostBlock } from './cost-model';
import type { DocBlock } from './doc-blocks';
import { FAULT_INJECTION_BLOCKS } from './fault-injection/report';
import { renderSoak } from './soak-report';

const bench: DocBlock[] = Object.entries(BENCH_BLOCKS).map(([name, render]) => ({
  doc: 'docs/performance.md',
  name,
  records: { dir: 'bench/results', kind: 'bench' },
  render,
}));

const faultInjection: DocBlock[] = Object.entries(FAULT_INJECTION_BLOCKS).map(([name, render]) => ({
  doc: 'docs/reliability.md',
  name,
  records: { dir: 'reliability/results', kind: 'fault-injection' },
  render,
}));

const soak: DocBlock[] = ['soak', 'soak-overload'].map((kind) => ({
  doc: 'docs/reliability.md',
  name: kind,
  records: { dir: 'reliability/results', kind },
  render: renderSoak,
}));

const burst: DocBlock = {
  doc: 'docs/capacity.md',
  name: 'burst',
  records: { dir: 'bench/results', kind: 'burst' },
  render: renderBurst,
};
const cost: DocBlock = {
  doc: 'docs/cost.md',
  name: 'cost-model',
  records: { dir: 'bench/results', kind: 'cost' },
  render: renderCostBlock,
};
export const DOC_BLOCKS: readonly DocBlock[] = [...bench, ...faultInjection, ...soak, burst, cost];
