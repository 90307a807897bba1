/**
 * Receiver configuration, pure (no CDK imports) so that `local/` derives exactly the same resources:
 * - schema.ts: the `fpt` settings of cdk.json / the construct props, their defaults and validation;
 * - alarm-thresholds.ts: the `alarms` settings;
 * - resource-spec.ts: the resources derived from a resolved configuration.
 */
export * from './alarm-thresholds';
export * from './resource-spec';
export * from './schema';
export { ConfigValidationError } from './validation';
