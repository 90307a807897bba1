/**
 * CPU-only benchmarks, in one process, in interleaved rounds so the ratios compare like with like:
 *
 * - verify: what the verifier does per request minus I/O: `checkSignatureHeader` (syntax, freshness),
 *   `matchesSignature` (HMAC-SHA256, constant-time compare) and `parseEnvelope` (JSON + validation).
 * - stripe: stripe-node's `stripe.webhooks.constructEvent(payload, header, secret, tolerance)`, which
 *   checks the same `t=...,v1=...` header format, the HMAC and the age, then JSON-parses the payload.
 * - raw: the floor as the issue defines it: `createHmac(secret)` + `timingSafeEqual` + `JSON.parse`,
 *   nothing else (no header parsing, no clock, no validation).
 * - raw_key: the same floor with the key imported once (`createSecretKey`) instead of per call: the
 *   cheapest HMAC Node offers. Informational; the targets use `raw`.
 * - verify_str, stripe_str: informational. API Gateway hands the Lambda the body as a string, and
 *   receive.ts turns it into a Buffer before verifying; stripe-node also takes a string. These two start
 *   from that string: verify_str includes the `Buffer.from(body)`, stripe_str passes the string.
 *
 * All of them get the identical body (a Buffer: the raw bytes as received), header and secret. Each
 * measurement cycles through RING distinct deliveries (different eventId, so different bytes and
 * signature), so no implementation profits from seeing the very same strings again and again.
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';
import { isWellFormed, parseEnvelope } from '../lambda/verifier/envelope';
import { checkSignatureHeader, matchesSignature } from '../lambda/verifier/signature';
import {
  BENCH_SECRET,
  benchPayloads,
  type SignedPayload,
  signBenchPayload,
  TOLERANCE_SECONDS,
} from './payloads';
import { median } from './stats';

export type ImplName = 'verify' | 'stripe' | 'raw' | 'raw_key' | 'verify_str' | 'stripe_str';
export const IMPLS: readonly ImplName[] = ['verify', 'stripe', 'raw', 'raw_key', 'verify_str', 'stripe_str'];
export const PAYLOAD_NAMES = ['small', '64k'] as const;
export type PayloadName = (typeof PAYLOAD_NAMES)[number];

/** Distinct deliveries per payload size; a power of two. */
const RING = 16;

/** Runs `n` verifications over `ring` and returns a checksum, so nothing can be optimised away. */
type Runner = (ring: readonly SignedPayload[], n: number) => number;

// A placeholder key: constructing the client does no I/O, and webhooks.constructEvent never uses it.
const stripe = new Stripe('sk_test_bench_placeholder_not_a_key');
const benchKey = createSecretKey(Buffer.from(BENCH_SECRET, 'utf8'));

// Each runner has its own loop, so every call site in it stays monomorphic.
const runners: Record<ImplName, Runner> = {
  verify: (ring, n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const p = ring[i & (RING - 1)] as SignedPayload;
      const parsed = checkSignatureHeader(p.header, Date.now(), TOLERANCE_SECONDS);
      if (!matchesSignature(parsed, p.body, BENCH_SECRET)) throw new Error('verify: signature mismatch');
      sink += parseEnvelope(p.body).locationId;
    }
    return sink;
  },
  stripe: (ring, n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const p = ring[i & (RING - 1)] as SignedPayload;
      const event = stripe.webhooks.constructEvent(p.body, p.header, BENCH_SECRET, TOLERANCE_SECONDS);
      sink += (event as unknown as { locationId: number }).locationId;
    }
    return sink;
  },
  verify_str: (ring, n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const p = ring[i & (RING - 1)] as SignedPayload;
      const parsed = checkSignatureHeader(p.header, Date.now(), TOLERANCE_SECONDS);
      const body = Buffer.from(p.text, 'utf8');
      if (!matchesSignature(parsed, body, BENCH_SECRET)) throw new Error('verify_str: signature mismatch');
      // As receive.ts does: a well-formed string body is parsed as it is, not decoded again from bytes.
      const text = isWellFormed(p.text) ? p.text : undefined;
      sink += parseEnvelope(body, text).locationId;
    }
    return sink;
  },
  stripe_str: (ring, n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const p = ring[i & (RING - 1)] as SignedPayload;
      const event = stripe.webhooks.constructEvent(p.text, p.header, BENCH_SECRET, TOLERANCE_SECONDS);
      sink += (event as unknown as { locationId: number }).locationId;
    }
    return sink;
  },
  raw: (ring, n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const p = ring[i & (RING - 1)] as SignedPayload;
      const mac = createHmac('sha256', BENCH_SECRET).update(p.prefix).update(p.body).digest();
      if (!timingSafeEqual(mac, p.signature)) throw new Error('raw: signature mismatch');
      sink += (JSON.parse(p.body.toString('utf8')) as { locationId: number }).locationId;
    }
    return sink;
  },
  raw_key: (ring, n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const p = ring[i & (RING - 1)] as SignedPayload;
      const mac = createHmac('sha256', benchKey).update(p.prefix).update(p.body).digest();
      if (!timingSafeEqual(mac, p.signature)) throw new Error('raw_key: signature mismatch');
      sink += (JSON.parse(p.body.toString('utf8')) as { locationId: number }).locationId;
    }
    return sink;
  },
};

export interface PureOptions {
  /** Seconds per measurement. */
  readonly seconds: number;
  readonly rounds: number;
  /** Seconds of warm-up per (implementation, payload) before the first round. */
  readonly warmupSeconds: number;
  readonly log?: (line: string) => void;
}

/** The targets' pairs: verify against each, run back to back in every round (see runPure). */
export const PAIRED_WITH_VERIFY = ['raw', 'stripe'] as const;
/** Run first in each round, in an order that rotates from round to round; the others follow. */
const HEADLINE: readonly ImplName[] = ['verify', 'raw', 'stripe'];
const OTHERS: readonly ImplName[] = IMPLS.filter((impl) => !HEADLINE.includes(impl));
const rotated = <T>(list: readonly T[], by: number): T[] =>
  list.map((_, i) => list[(i + by) % list.length] as T);

export interface PureResult {
  /** Payload name -> its size in bytes. */
  readonly payloadBytes: Record<PayloadName, number>;
  /** `${impl}.${payload}` -> ops/s of every round. */
  readonly samples: Record<string, number[]>;
  /** `${impl}.${payload}` -> median ops/s (wall time). */
  readonly medians: Record<string, number>;
  /** `${impl}.${payload}` -> median ops per CPU second. */
  readonly cpuMedians: Record<string, number>;
  /**
   * `verify/${other}.${payload}` -> verify's rate over the other's, per round. The two run back to back
   * in a round, so a change in the machine's load between rounds moves both; the median of these is
   * steadier than the ratio of the two medians.
   */
  readonly pairedRatios: Record<string, number[]>;
}

let globalSink = 0;

interface Rate {
  /** ops per second of wall time: what the targets use. */
  readonly wall: number;
  /** ops per second of this process's CPU time: much less sensitive to other processes on the machine. */
  readonly cpu: number;
}

/** Runs batches until `seconds` of wall time have passed. */
function timeBox(run: Runner, ring: readonly SignedPayload[], seconds: number, batch: number): Rate {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  let now: bigint;
  do {
    globalSink += run(ring, batch);
    ops += batch;
    now = process.hrtime.bigint();
  } while (now < deadline);
  const cpu = process.cpuUsage(cpuStart);
  return { wall: ops / (Number(now - start) / 1e9), cpu: ops / ((cpu.user + cpu.system) / 1e6) };
}

/** RING signed deliveries of one payload size, all signed now. */
function signedRing(name: PayloadName): SignedPayload[] {
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: RING }, (_, i) => {
    const payload = benchPayloads(i).find((p) => p.name === name);
    if (payload === undefined) throw new Error(`no payload named ${name}`);
    return signBenchPayload(payload, timestamp);
  });
}

/** Checks, once, that every implementation accepts the signed payloads and rejects a tampered one. */
export function selfCheck(ring: readonly SignedPayload[]): void {
  for (const impl of IMPLS) runners[impl](ring, RING);
  const p = ring[0] as SignedPayload;
  const last = p.header.at(-1) === '0' ? '1' : '0';
  const tampered: SignedPayload = {
    ...p,
    header: `${p.header.slice(0, -1)}${last}`,
    signature: Buffer.alloc(32),
  };
  for (const impl of IMPLS) {
    let rejected = false;
    try {
      runners[impl](
        Array.from({ length: RING }, () => tampered),
        1,
      );
    } catch {
      rejected = true;
    }
    if (!rejected) throw new Error(`${impl} accepted a tampered signature: the benchmark is broken`);
  }
}

export function runPure(options: PureOptions): PureResult {
  const log = options.log ?? (() => {});
  const payloadBytes = Object.fromEntries(
    PAYLOAD_NAMES.map((name) => [name, (signedRing(name)[0] as SignedPayload).body.length]),
  ) as Record<PayloadName, number>;
  const samples: Record<string, number[]> = {};
  const cpuSamples: Record<string, number[]> = {};
  const batches: Record<string, number> = {};

  // Warm-up: let every runner reach optimised code, and size its batch to about 2 ms of work.
  for (const name of PAYLOAD_NAMES) {
    const ring = signedRing(name);
    selfCheck(ring);
    for (const impl of IMPLS) {
      const rate = timeBox(runners[impl], ring, options.warmupSeconds, 1).wall;
      batches[`${impl}.${name}`] = Math.max(1, Math.round(rate / 500));
      samples[`${impl}.${name}`] = [];
      cpuSamples[`${impl}.${name}`] = [];
    }
  }

  for (let round = 0; round < options.rounds; round++) {
    for (const name of PAYLOAD_NAMES) {
      // Signed afresh each round, so `t` stays well inside the tolerance however long the run takes.
      const ring = signedRing(name);
      // Rotate the order each round so no implementation always runs first, or always after the same one;
      // the three the targets compare run first and next to each other.
      const order = [...rotated(HEADLINE, round), ...rotated(OTHERS, round)];
      for (const impl of order) {
        const key = `${impl}.${name}`;
        const rate = timeBox(runners[impl], ring, options.seconds, batches[key] as number);
        samples[key]?.push(rate.wall);
        cpuSamples[key]?.push(rate.cpu);
      }
    }
    log(
      `  round ${round + 1}/${options.rounds}: ${Object.entries(samples)
        .map(([k, v]) => `${k}=${Math.round(v.at(-1) ?? 0)}`)
        .join(' ')}`,
    );
  }
  if (globalSink === -1) log('(unreachable: keeps the checksum alive)');
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const cpuMedians = Object.fromEntries(Object.entries(cpuSamples).map(([k, v]) => [k, median(v)]));
  const pairedRatios: Record<string, number[]> = {};
  for (const name of PAYLOAD_NAMES)
    for (const other of PAIRED_WITH_VERIFY) {
      const verify = samples[`verify.${name}`] ?? [];
      const theirs = samples[`${other}.${name}`] ?? [];
      pairedRatios[`verify/${other}.${name}`] = verify.map((rate, round) => rate / (theirs[round] as number));
    }
  return { payloadBytes, samples, medians, cpuMedians, pairedRatios };
}
