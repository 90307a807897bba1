import { deriveResourceSpec, type ResourceSpec, resolveConfig } from './config';

/**
 * The resource spec for the default configuration. Constructs that can be used on their own take their
 * defaults from here, so no number from `config/` is written down twice.
 */
export const DEFAULT_SPEC: ResourceSpec = deriveResourceSpec(resolveConfig());
