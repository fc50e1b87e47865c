/**
 * Creating the links of a plan in place: a veth from the NSC's namespace with its peer in the NSE's, or a
 * VXLAN device from the node namespace into the pod's; then configuring each end. A link half made is removed.
 * @module
 */
import { Code, StatusError } from '../../chain/errors.js';
import type { Logger } from '../../chain/logger.js';
import {
  configureLink,
  createVeth,
  createVxlan,
  deleteLink,
  disableChecksumOffload,
  isExists,
  showLink,
  type IpRunner,
  type LinkConfig,
  type LinkInfo,
} from '../../kernel/index.js';
import { ALIAS_PREFIX, type VethPlan, type VxlanPlan } from './plan.js';
import type { WireOptions } from './wiring.js';

const none: LinkConfig = { addresses: [], linkRoutes: [], routes: [] };

/** Configures the link and returns it (its ifindex), in one pipelined write. */
async function configured(channel: IpRunner, name: string, config: LinkConfig): Promise<LinkInfo> {
  const link = await configureLink(channel, name, config);
  if (link === undefined) {
    throw new StatusError(Code.INTERNAL, `kernel-dataplane: ${name} vanished while being configured`, {
      reason: 'KERNEL_DATAPLANE_LINK_VANISHED',
    });
  }
  return link;
}

/**
 * Creates; on "exists", removes links of that name left by this data plane (alias `nsm-...`: a connection
 * that was never closed, or a forwarder restart) and tries once more. A link someone else made is left alone.
 */
async function createFresh(
  create: () => Promise<void>,
  names: readonly (readonly [IpRunner, string])[],
  logger: Logger,
): Promise<void> {
  try {
    await create();
    return;
  } catch (error) {
    if (!isExists(error)) throw error;
  }
  for (const [channel, name] of names) {
    const link = await showLink(channel, name);
    if (link === undefined) continue;
    if (!link.alias?.startsWith(ALIAS_PREFIX)) {
      throw new StatusError(
        Code.FAILED_PRECONDITION,
        `kernel-dataplane: interface ${name} already exists in the pod and is not one this data plane made`,
        { reason: 'KERNEL_DATAPLANE_NAME_TAKEN' },
      );
    }
    logger.log('warn', 'kernel-dataplane: replacing a stale interface', { name, alias: link.alias });
    await deleteLink(channel, name);
  }
  await create();
}

export async function makeVeth(
  plan: VethPlan,
  configs: readonly LinkConfig[],
  options: WireOptions,
): Promise<number[]> {
  const [nscEnd, nseEnd] = plan.ends;
  return options.pool.withChannels([nscEnd.netns, nseEnd.netns], async ([nsc = fail(), nse = fail()]) => {
    const mtu = plan.mtu === undefined ? {} : { mtu: plan.mtu };
    const ends = [[nsc, nscEnd.name] as const, [nse, nseEnd.name] as const];
    const create = (): Promise<void> =>
      createVeth(nsc, { name: nscEnd.name, peerName: nseEnd.name, peerNetnsPath: nse.netnsPath, ...mtu });
    await createFresh(create, ends, options.logger);
    try {
      const links = await Promise.all(ends.map(([ch, name], i) => configured(ch, name, configs[i] ?? none)));
      if (options.disableChecksumOffload) await offload(ends, options.logger);
      return links.map((l) => l.ifindex);
    } catch (error) {
      await deleteLink(nsc, nscEnd.name).catch((e: unknown) => warn(options.logger, nscEnd.name, e));
      throw error;
    }
  });
}

export async function makeVxlan(
  plan: VxlanPlan,
  configs: readonly LinkConfig[],
  options: WireOptions,
): Promise<number[]> {
  const [pod] = plan.ends;
  return options.pool.withChannels([plan.node, pod.netns], async ([node = fail(), podChannel = fail()]) => {
    const { vni, local, remote, port, mtu } = plan;
    const create = (): Promise<void> =>
      createVxlan(node, {
        name: pod.name,
        netnsPath: podChannel.netnsPath,
        vni,
        local,
        remote,
        dstPort: port,
        mtu,
      });
    await createFresh(create, [[podChannel, pod.name]], options.logger);
    try {
      return [(await configured(podChannel, pod.name, configs[0] ?? none)).ifindex];
    } catch (error) {
      await deleteLink(podChannel, pod.name).catch((e: unknown) => warn(options.logger, pod.name, e));
      throw error;
    }
  });
}

/** @internal */
export const fail = (): never => {
  throw new Error('kernel-dataplane: missing channel');
};

const warn = (logger: Logger, name: string, error: unknown): void =>
  logger.log('warn', 'kernel-dataplane: removing a half-made interface failed', { name, error });

async function offload(ends: readonly (readonly [IpRunner, string])[], logger: Logger): Promise<void> {
  for (const [channel, name] of ends) {
    if (await disableChecksumOffload(channel.netnsPath, name)) continue;
    logger.log('debug', 'kernel-dataplane: ethtool not found; checksum offload left on', { name });
    return;
  }
}
