/**
 * `switch-case`: routes calls to the first case whose condition holds (NSM `common/switchcase` and
 * `registry/switchcase`).
 * @module
 */
export {
  switchCase,
  switchCaseDefault,
  switchCaseNs,
  switchCaseNse,
  type NetworkServiceCase,
  type NseRegistryCase,
  type NsRegistryCase,
  type SwitchCase,
} from './switch-case.js';
