/**
 * FPT's side: one HTTP attempt is API Gateway's event for a freshly signed body; any non-2xx or no
 * answer is retried with capped exponential backoff and jitter, a bounded number of times.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fptDeliveryEvent } from '../../local/testkit/api-event';
import { fptSignatureHeader } from '../../local/testkit/signer';
import { sleep } from '../../local/testkit/wait';
import type { AttemptOutcome } from './functions';
import type { FaultTiming } from './types';

export class FptSimulator {
  attempts = 0;
  readonly byOutcome: Record<string, number> = {};
  chainsSucceeded = 0;
  chainsGaveUp = 0;
  maxAttemptsForOneDelivery = 0;
  /** Time the senders spent held back by `paused`. */
  backpressureMs = 0;
  /** Set by the backlog monitor: no new delivery starts while it is true (retries continue). */
  paused = false;

  constructor(
    private readonly secret: string,
    private readonly invoke: (event: APIGatewayProxyEventV2) => Promise<AttemptOutcome>,
    private readonly timing: Pick<FaultTiming, 'retryBaseMs' | 'retryCapMs' | 'retryMaxAttempts'>,
    private readonly random: () => number,
  ) {}

  /** One HTTP attempt by FPT, as API Gateway hands it to the verifier. */
  attempt(body: string): Promise<AttemptOutcome> {
    const event = fptDeliveryEvent(body, fptSignatureHeader(this.secret, body), {
      userAgent: 'FPT-Webhooks/1.1',
    });
    return this.invoke(event);
  }

  /** One delivery: attempts until a 2xx or FPT gives up. */
  async deliver(body: string): Promise<void> {
    const waitStart = Date.now();
    while (this.paused) await sleep(200);
    this.backpressureMs += Date.now() - waitStart;
    const { retryBaseMs, retryCapMs, retryMaxAttempts } = this.timing;
    for (let n = 1; n <= retryMaxAttempts; n++) {
      this.attempts++;
      const { status, outcome } = await this.attempt(body);
      this.byOutcome[outcome] = (this.byOutcome[outcome] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        this.chainsSucceeded++;
        this.maxAttemptsForOneDelivery = Math.max(this.maxAttemptsForOneDelivery, n);
        return;
      }
      const backoff = Math.min(retryCapMs, retryBaseMs * 2 ** (n - 1));
      await sleep(backoff / 2 + this.random() * (backoff / 2));
    }
    this.chainsGaveUp++;
    this.maxAttemptsForOneDelivery = Math.max(this.maxAttemptsForOneDelivery, retryMaxAttempts);
  }
}
