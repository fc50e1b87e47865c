/**
 * Making, keeping and removing the links of one connection. Everything is created in its final namespace
 * (no netns moves), configured with idempotent `replace`s, and remembered (names, ifindexes, what was applied)
 * so a refresh keeps the links and only re-applies what changed.
 * @module
 */
import type { IPContext } from '../../api/gen/connectioncontext.js';
import type { Logger } from '../../chain/logger.js';
import {
  configureLink,
  deleteOwnedLink,
  isNetnsGone,
  showLink,
  unconfigureLink,
  type IpRunner,
  type LinkConfig,
  type NetlinkChannels,
  type Netns,
} from '../../kernel/index.js';
import { ipConfig, removedConfig } from './ip-context.js';
import { fail, makeVeth, makeVxlan } from './make.js';
import { planKey, type Plan } from './plan.js';

export interface WiredEnd {
  readonly netns: Netns;
  readonly name: string;
  readonly ifindex: number;
  readonly config: LinkConfig;
}

/** What a connection's Request made, kept in its server metadata until Close. */
export interface Wired {
  readonly key: string;
  readonly alias: string;
  readonly ends: readonly WiredEnd[];
}

export interface WireOptions {
  readonly pool: NetlinkChannels;
  readonly logger: Logger;
  readonly disableChecksumOffload: boolean;
}

export interface WireRequest {
  readonly plan: Plan;
  readonly ipContext: IPContext | undefined;
  readonly alias: string;
  /** What the connection's last Request made, if anything. */
  readonly previous: Wired | undefined;
}

/** Makes the links of `plan`, or keeps those of `previous` when they are the same and still there. */
export async function wire(request: WireRequest, options: WireOptions): Promise<Wired> {
  const { plan, ipContext, alias, previous } = request;
  const key = planKey(plan);
  const configs = plan.ends.map((end): LinkConfig => ({
    alias,
    ...(plan.mtu === undefined ? {} : { mtu: plan.mtu }),
    ...ipConfig(ipContext, end.side),
  }));
  if (previous?.key === key) {
    const kept = await keep(previous, configs, options.pool);
    if (kept !== undefined) return kept;
  }
  if (previous !== undefined) {
    const why = previous.key === key ? 'a link is missing or was replaced' : 'the mechanisms changed';
    options.logger.log('debug', `kernel-dataplane: re-creating the links: ${why}`, {
      from: previous.key,
      to: key,
    });
    await unwire(previous, options.pool);
  }
  const ifindexes =
    plan.kind === 'veth' ? await makeVeth(plan, configs, options) : await makeVxlan(plan, configs, options);
  const ends = plan.ends.map((end, i) => ({
    netns: end.netns,
    name: end.name,
    ifindex: ifindexes[i] ?? 0,
    config: configs[i] ?? config0,
  }));
  return { key, alias, ends };
}

const config0: LinkConfig = { addresses: [], linkRoutes: [], routes: [] };

/** Undefined when a link is missing or was replaced (then everything is made anew). */
async function keep(
  previous: Wired,
  configs: readonly LinkConfig[],
  pool: NetlinkChannels,
): Promise<Wired | undefined> {
  return pool.withChannels(
    previous.ends.map((e) => e.netns),
    async (channels) => {
      const links = await Promise.all(previous.ends.map((end, i) => showLink(at(channels, i), end.name)));
      const intact = links.every(
        (l, i) => l?.ifindex === previous.ends[i]?.ifindex && l?.alias === previous.alias,
      );
      if (!intact) return undefined;
      const ends = await Promise.all(
        previous.ends.map(async (end, i) => {
          const config = configs[i] ?? config0;
          if (JSON.stringify(config) === JSON.stringify(end.config)) return end;
          await unconfigureLink(at(channels, i), end.name, removedConfig(end.config, config));
          await configureLink(at(channels, i), end.name, config);
          return { ...end, config };
        }),
      );
      return { ...previous, ends };
    },
  );
}

function at(channels: readonly IpRunner[], index: number): IpRunner {
  const channel = channels[index];
  if (channel === undefined) throw new Error(`kernel-dataplane: no channel ${index}`);
  return channel;
}

/**
 * Removes the links in `wired` that still carry its alias. A veth goes with either end, so the first end
 * deleted is enough; a namespace that is gone took its links with it.
 */
export async function unwire(wired: Wired, pool: NetlinkChannels): Promise<void> {
  const failures: unknown[] = [];
  for (const end of wired.ends) {
    try {
      const deleted = await pool.withChannels([end.netns], ([channel = fail()]) =>
        deleteOwnedLink(channel, end.name, wired.alias),
      );
      if (deleted) return;
    } catch (error) {
      if (!isNetnsGone(error)) failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
