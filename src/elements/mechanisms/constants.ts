/**
 * Mechanism classes, types and parameter keys, spelled exactly as the Go API packages spell them on the wire
 * (`mechanisms/cls`, `mechanisms/common`, `mechanisms/kernel`, `mechanisms/vxlan`, `mechanisms/noop`).
 * @module
 */

/** `Mechanism.cls` values. */
export const Cls = {
  /** Pod ↔ forwarder on the same node (KERNEL, MEMIF, VFIO). */
  LOCAL: 'LOCAL',
  /** Forwarder ↔ forwarder across nodes (VXLAN, WIREGUARD, IPSEC, VLAN). */
  REMOTE: 'REMOTE',
} as const;

/** `Mechanism.type` values. */
export const MechanismType = {
  KERNEL: 'KERNEL',
  VXLAN: 'VXLAN',
  NOOP: 'NOOP',
  MEMIF: 'MEMIF',
  VFIO: 'VFIO',
  WIREGUARD: 'WIREGUARD',
  IPSEC: 'IPSEC',
  VLAN: 'VLAN',
  SRV6: 'SRV6',
} as const;

/** Parameter keys shared by several mechanism types (Go package `common`). */
export const CommonParam = {
  SRC_IP: 'src_ip',
  DST_IP: 'dst_ip',
  SRC_PORT: 'src_port',
  DST_PORT: 'dst_port',
  SRC_ORIGINAL_IP: 'orig_src_ip',
  DST_ORIGINAL_IP: 'orig_dst_ip',
  NETNS_INODE: 'netnsInode',
  INTERFACE_NAME: 'name',
  INODE_URL: 'inodeURL',
  PCI_ADDRESS: 'pciAddress',
  DEVICE_TOKEN_ID: 'tokenID',
  MTU: 'MTU',
} as const;

/** KERNEL parameter keys (Go package `kernel`). */
export const KernelParam = {
  NETNS_URL: CommonParam.INODE_URL,
  INTERFACE_NAME: CommonParam.INTERFACE_NAME,
  PCI_ADDRESS: CommonParam.PCI_ADDRESS,
  DEVICE_TOKEN_ID: CommonParam.DEVICE_TOKEN_ID,
  NETNS_INODE: CommonParam.NETNS_INODE,
  SUPPORTS_VLAN: 'supportsVlan',
  VLAN: 'vlan',
  ROUTE_LOCAL_NET: 'routeLocalNet',
  IPTABLES4_NAT_TEMPLATE: 'IPTables4NatTemplate',
} as const;

/** VXLAN parameter keys (Go package `vxlan`). */
export const VxlanParam = {
  SRC_IP: CommonParam.SRC_IP,
  DST_IP: CommonParam.DST_IP,
  SRC_PORT: CommonParam.SRC_PORT,
  DST_PORT: CommonParam.DST_PORT,
  SRC_ORIGINAL_IP: CommonParam.SRC_ORIGINAL_IP,
  DST_ORIGINAL_IP: CommonParam.DST_ORIGINAL_IP,
  VNI: 'vni',
  MTU: CommonParam.MTU,
} as const;

/** Longest Linux interface name (`IFNAMSIZ - 1`); Go `kernel.LinuxIfMaxLength`. */
export const LINUX_IF_MAX_LENGTH = 15;

/** The netns URL the kernel elements put in `inodeURL`: the calling thread's own network namespace. */
export const KERNEL_NETNS_URL = 'file:///proc/thread-self/ns/net';

/** The IANA VXLAN UDP port, the default for `vxlanClient`/`vxlanServer`. */
export const VXLAN_DEFAULT_PORT = 4789;
