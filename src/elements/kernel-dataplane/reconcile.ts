import { deleteLink, isNetnsGone, listLinks, type NetlinkChannels, type Netns } from '../../kernel/index.js';
import { aliasFor, ownerPrefix } from './plan.js';

/** One link `reconcile` looked at. */
export interface ReconciledLink {
  readonly netns: Netns;
  readonly name: string;
  readonly alias: string;
}

export interface ReconcileResult {
  /** Links of connections that are not live, deleted (a veth counts once: its peer went with it). */
  readonly removed: readonly ReconciledLink[];
  /** Links of live connections, left as they are. */
  readonly kept: readonly ReconciledLink[];
}

/**
 * Cleans up after a forwarder restart: finds the links this data plane made (alias `nsm-<id>`, or with `owner`
 * the links of that forwarder only, `nsm-<tag>-<id>`) in `nssToScan` and deletes those whose id is not in
 * `liveConnectionIds` (ids of path segment 0, as in the alias). Links of
 * live connections are kept: the connection's next refresh or heal re-Requests, finds no record for it, and
 * replaces them (the stale link with the same name and an `nsm-` alias is deleted and made anew, as sdk-vpp
 * does). Adopting links in place is not attempted: a restarted forwarder has no record of the IPContext,
 * names and namespaces they were made for. Namespaces that vanish during the scan are skipped.
 *
 * `nssToScan` is typically `listNetns()` from the kernel library (every namespace on the node).
 */
export async function reconcile(
  pool: NetlinkChannels,
  nssToScan: readonly Netns[],
  liveConnectionIds: Iterable<string>,
  owner = '',
): Promise<ReconcileResult> {
  const live = new Set([...liveConnectionIds].map((id) => aliasFor(id, owner)));
  const prefix = ownerPrefix(owner);
  const removed: ReconciledLink[] = [];
  const kept: ReconciledLink[] = [];
  for (const netns of nssToScan) {
    try {
      await pool.withChannels([netns], async ([channel]) => {
        if (channel === undefined) return;
        for (const link of await listLinks(channel)) {
          const alias = link.alias;
          if (alias === undefined || !alias.startsWith(prefix)) continue;
          const entry = { netns, name: link.name, alias };
          if (live.has(alias)) kept.push(entry);
          else if (await deleteLink(channel, link.name)) removed.push(entry);
        }
      });
    } catch (error) {
      if (!isNetnsGone(error)) throw error;
    }
  }
  return { removed, kept };
}
