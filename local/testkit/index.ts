/**
 * The local testkit: what the tests, bench/, scripts/, tools/ and cli/ need to drive a receiver from
 * outside, written once. Nothing here is deployed.
 */
export { type DeliveryEventOptions, fptDeliveryEvent } from './api-event';
export { buildEnvelope, type EnvelopeOptions, envelopeBody, newEventId, sampleData } from './envelopes';
export { isValidPollerCount, MAX_POLLERS } from './pollers';
export { type QueueCounts, queueCounts, queueDepth } from './queue-depth';
export { postSignedEvent } from './signed-post';
export { fptSignatureHeader, nowSeconds } from './signer';
export { type PollOptions, pollUntil, sleep, waitUntilProcessed } from './wait';
export { pool, prng } from './workload';
