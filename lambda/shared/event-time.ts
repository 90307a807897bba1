/**
 * The plausible range of an authentic event's `eventTimestamp`, checked before it can reach the ordering
 * guard (docs/security.md, "eventTimestamp bounds").
 *
 * Upper bound: the time of receipt plus the signature tolerance. FPT stamps the change before it signs
 * the delivery, and a signature `t` more than the tolerance ahead of our clock is already refused, so
 * anything later than that is not a change FPT recorded; it would raise a contact's high-water mark
 * past every genuine event until the mark expires.
 *
 * Lower bound: {@link EARLIEST_EVENT_TIMESTAMP_MS}. FPT's events come from SQL Server change tracking as
 * changes happen and are not retroactive (docs: contact.created "only fires for new contacts from now
 * on"), so no event describes a change from before the webhook product existed. FPT publishes no
 * release date; the earliest instant its webhook documentation shows is the signing page's example
 * `t=1717023600` (2024-05-29T23:00:00Z). The bound is the start of that year, with margin.
 */
export const EARLIEST_EVENT_TIMESTAMP_MS = Date.UTC(2024, 0, 1);

/**
 * Why an eventTimestamp cannot be FPT's; undefined when it is within bounds. Pure, for the verifier
 * (which parks such an event) and the processor (which never lets one move the guard).
 * The text names the field, never its value.
 */
export function eventTimestampProblem(
  eventTimestampMs: number,
  receivedAtMs: number,
  toleranceSeconds: number,
): string | undefined {
  if (!Number.isFinite(eventTimestampMs)) return 'eventTimestamp is not a time';
  if (eventTimestampMs > receivedAtMs + toleranceSeconds * 1000) {
    return 'eventTimestamp is later than its receipt plus the signature tolerance';
  }
  if (eventTimestampMs < EARLIEST_EVENT_TIMESTAMP_MS) {
    return 'eventTimestamp is earlier than FPT webhooks existed (2024-01-01)';
  }
  return undefined;
}
