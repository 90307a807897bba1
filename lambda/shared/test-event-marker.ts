/**
 * The marker that makes an event a test event: a top-level envelope field that only this project's own
 * tools write (`fpt-webhooks send-test-event`, `fpt-webhooks acceptance`). It sits inside the signed body,
 * so nobody without the subscription's secret can add or remove it, and it reaches the processor on
 * every path the body takes (queue, DLQ, redrive). FPT names its fields in camelCase; a name with a
 * hyphen and a colon can never be one of them, whatever FPT adds later.
 * See docs/decisions/0007-test-event-marker.md.
 */
export const TEST_EVENT_MARKER = 'fpt-webhook-receiver:test';

/** True only when the body carries the marker with the value `true`; any other value is not a test. */
export function isTestEvent(body: Readonly<Record<string, unknown>>): boolean {
  return body[TEST_EVENT_MARKER] === true;
}
