import { cloneMessage } from '../../api/clone.js';
import type { Mechanism } from '../../api/gen/connection.js';
import { postpone } from '../../chain/cancel.js';
import { Code, ConfigError, StatusError } from '../../chain/errors.js';
import { loggerOf, type Logger } from '../../chain/logger.js';
import { metadataKey, metadataOf } from '../../chain/metadata.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { parseNetnsUrl, type NetlinkChannels, type Netns } from '../../kernel/index.js';
import { canonicalIp } from '../mechanisms/index.js';
import { checkIncoming, connectionAlias, makePlan } from './plan.js';
import { unwire, wire, type Wired } from './wiring.js';

/** Options of `kernelDataPlaneServer`. */
export interface KernelDataPlaneOptions {
  /** Channels into namespaces and `inodeURL` resolution: a `NetlinkPool`. Required; the caller closes it. */
  readonly pool: NetlinkChannels;
  /**
   * The node (underlay) namespace, where VXLAN sockets live: an `inodeURL`, a path or a /run/netns name.
   * Default: the forwarder's own namespace.
   */
  readonly nodeNetns?: string;
  /** This forwarder's tunnel IP: the VXLAN local address when the mechanism doesn't carry one. Default: none. */
  readonly tunnelIp?: string;
  /** Turn TX/RX checksum offload off on veth ends (needs ethtool; skipped without it). Default false. */
  readonly disableChecksumOffload?: boolean;
  /** Default: the logger in the call context. */
  readonly logger?: Logger;
  /**
   * The forwarder's name: its links' aliases carry a tag of it (`nsm-<tag>-<id>`), so that `reconcile` after a
   * restart removes only this forwarder's links, not those of another forwarder on the same machine. Default:
   * none (`nsm-<id>`).
   */
  readonly owner?: string;
}

const outgoingKey = metadataKey<Mechanism>('kernel-dataplane/outgoing-mechanism');
const wiredKey = metadataKey<Wired>('kernel-dataplane/wired');

/**
 * Records the mechanism the next hop chose (Go's xconnect client), for `kernelDataPlaneServer`.
 *
 * Where in the chain: a forwarder's onward client elements, after `mechanismTranslationClient` (the forwarder
 * preset's `clientElements` option).
 * @see https://github.com/kubeslice/cmd-forwarder-kernel (xconnect client)
 */
export function kernelDataPlaneClient(): NetworkServiceElement {
  return {
    name: 'kernel-dataplane',
    async request(request, ctx, next) {
      const connection = await next.request(request, ctx);
      const meta = metadataOf(ctx, 'client');
      if (connection.mechanism === undefined) meta.delete(outgoingKey);
      else meta.set(outgoingKey, cloneMessage(connection.mechanism));
      return connection;
    },
  };
}

function checkOptions(options: KernelDataPlaneOptions): void {
  const { pool, nodeNetns, tunnelIp } = options;
  if (typeof pool?.withChannels !== 'function' || typeof pool.resolve !== 'function') {
    throw new ConfigError('kernelDataPlaneServer: pool must be a NetlinkPool');
  }
  if (tunnelIp !== undefined && canonicalIp(tunnelIp) === undefined) {
    throw new ConfigError(`kernelDataPlaneServer: tunnelIp "${tunnelIp}" is not an IP address`);
  }
  try {
    if (nodeNetns !== undefined) parseNetnsUrl(nodeNetns);
  } catch (error) {
    throw new ConfigError(`kernelDataPlaneServer: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The kernel data plane of a forwarder (the pure-kernel design of components §2.3 B): on the way back from
 * the next hop it wires the client's mechanism to the next hop's.
 * - KERNEL/KERNEL (both pods on this node): one veth between the two pods, each end created in its pod's
 *   namespace under the name that side asked for;
 * - KERNEL/VXLAN or VXLAN/KERNEL: a VXLAN device created in the local pod's namespace with its UDP socket
 *   in the node namespace (VNI, IPs and port from the mechanism; MTU less 50 for IPv4, 70 for IPv6).
 * Then the IPContext goes on the pod ends (addresses, link routes to the peer, routes via the peer, onlink) and
 * they are brought up. A refresh keeps the links (same names, namespaces and ifindexes) and re-applies only what
 * changed; Close removes exactly what Request made (links carry the alias `nsm-<path[0].id>`); a failure after
 * links were made removes them and closes the next hop.
 *
 * Fails with INVALID_ARGUMENT, reason `KERNEL_DATAPLANE_UNSUPPORTED_MECHANISM` (other mechanism pairs),
 * `KERNEL_DATAPLANE_BAD_MECHANISM` (missing name, inodeURL, VNI or tunnel IPs), `KERNEL_DATAPLANE_BAD_IP_CONTEXT`,
 * the kernel library's `KERNEL_NETNS_UNRESOLVABLE` (`/proc/thread-self` URLs) and `KERNEL_BAD_ARGUMENT`;
 * FAILED_PRECONDITION `KERNEL_DATAPLANE_NAME_TAKEN` (a foreign interface has the name) and `KERNEL_NETNS_NOT_FOUND`;
 * INTERNAL `KERNEL_DATAPLANE_NO_OUTGOING_MECHANISM` (no `kernelDataPlaneClient` in the onward client),
 * `KERNEL_DATAPLANE_LINK_VANISHED` (deleted while being configured) and `KERNEL_COMMAND_FAILED`.
 *
 * Where in the chain: a forwarder's `dataPlane` elements, after the mechanisms server and before `connect`,
 * with `kernelDataPlaneClient()` in its `clientElements`. Needs `metadata()` before it.
 * @see https://github.com/kubeslice/cmd-forwarder-kernel (xconnect server)
 * @see https://github.com/networkservicemesh/sdk-kernel/tree/main/pkg/kernel/networkservice/connectioncontextkernel
 */
export function kernelDataPlaneServer(options: KernelDataPlaneOptions): NetworkServiceElement {
  checkOptions(options);
  const { pool, nodeNetns, tunnelIp } = options;
  const disableChecksumOffload = options.disableChecksumOffload ?? false;
  return {
    name: 'kernel-dataplane',
    async request(request, ctx, next) {
      checkIncoming(request.connection?.mechanism);
      const logger = options.logger ?? loggerOf(ctx);
      const meta = metadataOf(ctx, 'server');
      const previous = meta.get(wiredKey);
      const cleanup = postpone(ctx);
      const connection = await next.request(request, ctx);
      try {
        const outgoing = metadataOf(ctx, 'client').get(outgoingKey);
        if (outgoing === undefined) {
          throw new StatusError(
            Code.INTERNAL,
            'kernel-dataplane: no outgoing mechanism recorded; add kernelDataPlaneClient() to the onward client',
            { reason: 'KERNEL_DATAPLANE_NO_OUTGOING_MECHANISM' },
          );
        }
        const node: Netns | undefined = nodeNetns === undefined ? undefined : await pool.resolve(nodeNetns);
        const plan = await makePlan(connection.mechanism, outgoing, connection, { pool, node, tunnelIp });
        const alias = connectionAlias(connection, options.owner);
        const ipContext = connection.context?.ipContext;
        const wired = await wire(
          { plan, ipContext, alias, previous },
          { pool, logger, disableChecksumOffload },
        );
        meta.set(wiredKey, wired);
        return connection;
      } catch (error) {
        meta.delete(wiredKey);
        if (previous !== undefined) {
          await unwire(previous, pool).catch((e: unknown) =>
            logger.log('warn', 'kernel-dataplane: unwire failed', { error: e }),
          );
        }
        const scope = cleanup();
        try {
          await next.close(connection, scope.ctx);
        } catch (closeError) {
          logger.log('warn', 'kernel-dataplane: closing the next hop failed', { error: closeError });
        } finally {
          scope.cancel();
        }
        throw error;
      }
    },
    async close(connection, ctx, next) {
      const wired = metadataOf(ctx, 'server').take(wiredKey);
      // Our links and the next hop's are independent: removed at the same time, a remote Close waits for one
      // kernel deletion instead of two in a row. The next hop's failure wins over ours.
      const [unwired, closed] = await Promise.allSettled([
        wired === undefined ? Promise.resolve() : unwire(wired, pool),
        next.close(connection, ctx),
      ]);
      if (closed.status === 'rejected') throw closed.reason;
      if (unwired.status === 'rejected') throw unwired.reason;
    },
  };
}
