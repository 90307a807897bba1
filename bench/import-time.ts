/**
 * Cold import time of a bundle: a fresh `node` process per sample, `performance.now()` around the
 * `require` of the bundle inside it, so process start-up is not counted and module initialisation
 * (client construction, environment parsing) is.
 *
 * The child gets the environment the handlers read, so initialisation runs as in Lambda, and
 * `--enable-source-maps` because lib/webhook-function.ts sets `NODE_OPTIONS=--enable-source-maps` on
 * both functions (Node then reads the bundle's .map at load). The two bundles compared run alternately,
 * one warm-up pair first (not counted), and the median of each is reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from './bundles';
import { median } from './stats';

const RUNNER = path.join(PROJECT_ROOT, 'bench', 'out', 'import-runner.cjs');

const RUNNER_SOURCE = `'use strict';
const { performance } = require('node:perf_hooks');
const file = process.argv[2];
const cpuStart = process.cpuUsage();
const start = performance.now();
require(file);
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\\n');
`;

/** What the handlers read at module load (lambda/shared/env.ts), with placeholder values: no I/O happens. */
export const HANDLER_ENV: Readonly<Record<string, string>> = {
  LEDGER_TABLE_NAME: 'fpt-webhooks-bench-ledger',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/fpt-webhooks-bench-events',
  FPT_SUBSCRIPTIONS: JSON.stringify({ default: 'fpt-webhooks/bench/default' }),
  SIGNATURE_TOLERANCE_SECONDS: '300',
  LEDGER_RETENTION_DAYS: '30',
  MAX_BODY_BYTES: '262144',
  MAX_RECEIVE_COUNT: '5',
  PREVIOUS_SECRET_GRACE_HOURS: '24',
  POWERTOOLS_SERVICE_NAME: 'fpt-webhook-receiver-bench',
  POWERTOOLS_METRICS_NAMESPACE: 'FptWebhookReceiver',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'fpt-webhooks-bench',
  // Lambda runs Node 24; the SDK's Node 20 end-of-support notice would only add noise here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface ImportSample {
  /** Wall time of the require, as a cold start sees it. */
  readonly ms: number;
  /** CPU time of the process during the require (all its threads): steadier on a busy machine. */
  readonly cpuMs: number;
}

/** One cold import; `sourceMaps` mirrors the functions' NODE_OPTIONS. */
export function importOnce(file: string, sourceMaps = true): ImportSample {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...HANDLER_ENV,
  };
  const flags = sourceMaps ? ['--enable-source-maps'] : [];
  const out = spawnSync(process.execPath, [...flags, RUNNER, file], {
    cwd: path.dirname(file),
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (out.status !== 0) {
    throw new Error(
      `importing ${file} failed (exit ${out.status}): ${(out.stderr || out.error?.message || '').slice(0, 500)}`,
    );
  }
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ImportSample;
}

export interface ImportComparison {
  readonly a: ImportSample[];
  readonly b: ImportSample[];
  /** Median wall ms. */
  readonly medianA: number;
  readonly medianB: number;
  /** Median CPU ms. */
  readonly cpuA: number;
  readonly cpuB: number;
}

export interface ImportSubject {
  readonly file: string;
  /** @default true, as deployed */
  readonly sourceMaps?: boolean;
}

/** Imports `a` and `b` `runs` times each, alternating which goes first, after one warm-up each. */
export function compareImports(
  subjectA: ImportSubject,
  subjectB: ImportSubject,
  runs: number,
): ImportComparison {
  mkdirSync(path.dirname(RUNNER), { recursive: true });
  writeFileSync(RUNNER, RUNNER_SOURCE);
  const importA = () => importOnce(subjectA.file, subjectA.sourceMaps ?? true);
  const importB = () => importOnce(subjectB.file, subjectB.sourceMaps ?? true);
  importA();
  importB();
  const a: ImportSample[] = [];
  const b: ImportSample[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(importA());
      b.push(importB());
    } else {
      b.push(importB());
      a.push(importA());
    }
  }
  return {
    a,
    b,
    medianA: median(a.map((x) => x.ms)),
    medianB: median(b.map((x) => x.ms)),
    cpuA: median(a.map((x) => x.cpuMs)),
    cpuB: median(b.map((x) => x.cpuMs)),
  };
}
