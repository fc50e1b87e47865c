/**
 * `registry-authorize`: who may register or unregister a name (NSM `registry/common/authorize`).
 * @module
 */
export {
  authorizeNseRegistry,
  authorizeNsRegistry,
  clientAllowedPolicy,
  type RegistryAuthorizeOptions,
  type RegistryPolicy,
  type RegistryPolicyInput,
} from './registry-authorize.js';
