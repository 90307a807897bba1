// The partner's handler module, as lambda/processor/partner-handler.ts sees it (an esbuild alias at synth).
declare module 'fpt-webhook-receiver/partner-handlers' {
  import type { DefaultHandler, EventHandlers } from 'fpt-webhook-receiver/runtime';

  export const handlers: EventHandlers;
  export const defaultHandler: DefaultHandler;
}
