/**
 * `kernel-dataplane`: the data plane of the kernel forwarder: veth pairs between pods on one node and VXLAN
 * devices between nodes, created in place in the pods' namespaces with the IPContext applied, plus
 * `reconcile` for links left behind by a forwarder restart. Builds on the kernel library (`src/kernel`).
 * @module
 */
export {
  kernelDataPlaneClient,
  kernelDataPlaneServer,
  type KernelDataPlaneOptions,
} from './kernel-dataplane.js';
export { reconcile, type ReconciledLink, type ReconcileResult } from './reconcile.js';
export { aliasFor, VXLAN_OVERHEAD_IPV4, VXLAN_OVERHEAD_IPV6 } from './plan.js';
