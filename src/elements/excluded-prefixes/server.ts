import { ConnectionContext, IPContext } from '../../api/gen/connectioncontext.js';
import { ConfigError } from '../../chain/errors.js';
import { silentLogger, type Logger } from '../../chain/logger.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import { DualStackSet } from '../point2point-ipam/cidr-set.js';
import { parsePrefixesYaml, watchFile } from './prefix-file.js';

/** Where NSM deployments mount the excluded-prefixes file (Go `PrefixesFilePathDefault`). */
export const DEFAULT_EXCLUDED_PREFIXES_FILE = '/var/lib/networkservicemesh/config/excluded_prefixes.yaml';

/** Options of `excludedPrefixesServer`. */
export interface ExcludedPrefixesServerOptions {
  /** Prefixes always excluded (CIDRs). Default: none. */
  readonly prefixes?: readonly string[];
  /**
   * A YAML file with a `prefixes:` list, read now and re-read whenever it changes; its prefixes are excluded
   * together with `prefixes`. Default: no file (NSM deployments use {@link DEFAULT_EXCLUDED_PREFIXES_FILE}).
   */
  readonly file?: string;
  /** Stops watching `file` when it aborts. Required with `file`. */
  readonly chainSignal?: AbortSignal;
  /** Receives errors reading the file. Default: silent. */
  readonly logger?: Logger;
  /**
   * Called with the new prefix list each time a change of the file was applied (not for the first read, done
   * by the factory). Default: none.
   */
  readonly onReload?: (prefixes: readonly string[]) => void;
}

/** De-duplicated, first occurrence kept. */
export function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** The prefixes as the fewest CIDRs, IPv4 first (Go `PrefixPool.GetPrefixes`); undefined if one is invalid. */
function normalize(prefixes: readonly string[]): string[] | undefined {
  const set = new DualStackSet();
  return prefixes.every((p) => set.addCidr(p)) ? set.prefixes() : undefined;
}

/**
 * Adds the configured prefixes (and those of a watched YAML file) to every request's
 * `ip_context.excluded_prefixes`, after the request's own and without duplicates, so the IPAM further down
 * never hands them out (NSM uses it for the cluster's pod and service CIDRs). The list is kept merged: host
 * bits cleared, overlapping and adjacent prefixes joined, IPv4 first. A file that does not parse, or holds an
 * invalid CIDR, leaves the previous list in place; a removed file counts as an empty list.
 *
 * Where in the chain: NSMgr server chain, before `discover`/`connect`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/excludedprefixes
 */
export function excludedPrefixesServer(options: ExcludedPrefixesServerOptions = {}): NetworkServiceElement {
  const { file, chainSignal, logger = silentLogger, onReload } = options;
  const fixed = [...(options.prefixes ?? [])];
  let current = normalize(fixed);
  if (current === undefined) {
    throw new ConfigError(`excludedPrefixesServer: prefixes must be CIDRs, got ${JSON.stringify(fixed)}`);
  }
  if (file !== undefined) {
    if (typeof file !== 'string' || file === '')
      throw new ConfigError('excludedPrefixesServer: file must be a path');
    if (chainSignal === undefined) throw new ConfigError('excludedPrefixesServer: file needs a chainSignal');
    let lastText: string | undefined | null = null;
    let watching = false;
    watchFile(
      file,
      chainSignal,
      (text) => {
        if (text === lastText) return;
        lastText = text;
        const parsed = parsePrefixesYaml(text ?? '');
        const next = parsed instanceof Error ? undefined : normalize([...fixed, ...parsed]);
        if (next === undefined) {
          const error = parsed instanceof Error ? parsed : new Error('invalid CIDR in the file');
          logger.log('error', 'excluded-prefixes: cannot use the prefixes file', { file, error });
          return;
        }
        current = next;
        if (watching) onReload?.(next);
      },
      logger,
    );
    watching = true;
  }
  return {
    name: 'excluded-prefixes',
    async request(request, ctx, next) {
      const connection = request.connection;
      const ip = connection?.context?.ipContext ?? IPContext.create();
      const excludedPrefixes = dedupe([...ip.excludedPrefixes, ...(current ?? [])]);
      const unchanged =
        excludedPrefixes.length === ip.excludedPrefixes.length &&
        excludedPrefixes.every((p, i) => p === ip.excludedPrefixes[i]);
      if (connection === undefined || unchanged) {
        return next.request(request, ctx);
      }
      const context = {
        ...(connection.context ?? ConnectionContext.create()),
        ipContext: { ...ip, excludedPrefixes },
      };
      return next.request({ ...request, connection: { ...connection, context } }, ctx);
    },
  };
}
