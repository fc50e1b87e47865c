/**
 * The kernel library of the kernel forwarder: persistent `ip -batch` channels per network namespace, netns
 * resolution (`inodeURL`), and link operations (veth and VXLAN created in place, addresses, routes). Not an
 * element: `elements/kernel-dataplane` builds on it.
 * @module
 */
export { isExists, isNetnsGone, isNotFound, KernelCommandError, KernelReason } from './errors.js';
export { disableChecksumOffload, findExecutable, type EthtoolOptions } from './ethtool.js';
export { checkArgument, IpChannel, type IpChannelOptions, type IpRunner } from './ip-channel.js';
export { checkIfName } from './args.js';
export {
  configureCommands,
  configureLink,
  unconfigureLink,
  type LinkConfig,
  type RouteSpec,
} from './link-config.js';
export {
  createVeth,
  createVxlan,
  deleteLink,
  deleteOwnedLink,
  LIST_LINKS,
  listLinks,
  parseLinks,
  showLink,
  type LinkInfo,
  type VxlanOptions,
} from './links.js';
export {
  findNetnsPath,
  inodeUrl,
  listNetns,
  netnsKey,
  NetnsResolver,
  parseNetnsUrl,
  statNetns,
  type Netns,
  type NetnsLocation,
} from './netns.js';
export { NetlinkPool, type NetlinkChannels, type NetlinkPoolOptions } from './pool.js';
