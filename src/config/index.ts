/**
 * Configuration of the NSM binaries: Go envconfig rules (prefix `NSM_`, `split_words` names, comma lists,
 * `k:v` maps, Go durations, scheme-less URLs, CIDR groups) from declarative per-command specs that also give
 * `--flag` alternatives, `--help` text and readable errors.
 * @module
 */
export { normalizeCidr, parseCidrGroups } from './cidr-groups.js';
export { formatGoDuration, parseGoDuration } from './duration.js';
export { envconfigKey, flagOf } from './env-name.js';
export { commandHelp, commandSummary, wrap } from './help.js';
export { parseNetworkServiceUrl, type NetworkServiceUrl } from './ns-url.js';
export { ConfigProblem, parseConfig, wantsHelp, type ConfigSource, type ParsedConfig } from './parse.js';
export {
  command,
  ENV_PREFIX,
  field,
  type AnyField,
  type CommandSpec,
  type ConfigOf,
  type FieldOptions,
  type FieldSpec,
} from './spec.js';
export * as types from './types.js';
export { ValueProblem, valueType, type ValueType } from './value-type.js';
