/**
 * `mechanisms`: mechanism selection (NSM `common/mechanisms`), the per-type elements (KERNEL, VXLAN, NOOP),
 * `filtermechanisms` and `mechanismpriority`, and typed, Go-compatible helpers for mechanism parameters.
 * @module
 */
export { mechanismsClient, mechanismsServer, type MechanismElements } from './mechanisms.js';
export { filterMechanismsClient } from './filter-mechanisms.js';
export { mechanismPriorityClient } from './mechanism-priority.js';
export {
  Cls,
  CommonParam,
  KERNEL_NETNS_URL,
  KernelParam,
  LINUX_IF_MAX_LENGTH,
  MechanismType,
  VXLAN_DEFAULT_PORT,
  VxlanParam,
} from './constants.js';
export {
  KernelMechanism,
  kernelMechanism,
  toKernel,
  type KernelMechanismParams,
} from './kernel/kernel-mechanism.js';
export { generateInterfaceName, kernelClient, kernelServer, type KernelOptions } from './kernel/kernel.js';
export {
  toVxlan,
  VxlanMechanism,
  vxlanMechanism,
  type VxlanMechanismParams,
} from './vxlan/vxlan-mechanism.js';
export { evenVni, generateRandomVni, type RandomUint32 } from './vxlan/vni.js';
export { vxlanClient, type VxlanClientOptions } from './vxlan/vxlan-client.js';
export { vxlanServer, type VxlanServerOptions } from './vxlan/vxlan-server.js';
export { isNoop, noopMechanism, noopServer } from './noop/noop.js';
export {
  formatBoolParam,
  formatIpParam,
  formatUintParam,
  parseBoolParam,
  parseIpParam,
  parseUintParam,
} from './params.js';
export { canonicalIp, formatCidr, formatIp, parseCidr, parseIp, type IpAddress, type IpCidr } from './ip.js';
