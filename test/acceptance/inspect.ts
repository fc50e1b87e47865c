/**
 * Status and leak checks for the acceptance tests: what per-connection state the running components of a sandbox still
 * hold, read from their elements' counters (`begin`/`metadata`/`dial` `size`, `monitor` `subscribers`, IPAM
 * `leases`, vxlan `allocated`) and from the forwarders' recording data planes.
 */
import * as assert from 'uvu/assert';
import { isStatusError, type Code } from '../../src/chain/errors.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { manualClock, type ManualClock } from '../../src/testing/index.js';
import {
  createSandbox,
  type Domain,
  type SandboxClient,
  type SandboxNode,
  type SandboxOptions,
} from '../../src/testing/sandbox/index.js';
import { eventually } from './fixtures.js';

const counterNames = ['size', 'leases', 'subscribers', 'allocated'] as const;

/** `element.counter=value` for every non-zero counter of `elements`, prefixed with `where`. */
function nonZero(where: string, elements: readonly NetworkServiceElement[] | undefined): string[] {
  const found: string[] = [];
  for (const element of elements ?? []) {
    const record = element as unknown as Record<string, unknown>;
    for (const counter of counterNames) {
      const value = record[counter];
      if (typeof value === 'number' && value !== 0)
        found.push(`${where} ${element.name}.${counter}=${value}`);
    }
  }
  return found;
}

/**
 * Every piece of per-connection state still held by the running servers of `domain` (nsmgrs, forwarders,
 * endpoints: server and onward client chains, forwarder data planes) and by `clients`, as readable lines.
 */
export function leftovers(domain: Domain, clients: readonly SandboxClient[] = []): string[] {
  const found: string[] = [];
  for (const node of domain.nodes) {
    const nsmgr = node.nsmgr.inspect;
    found.push(...nonZero(`${node.nsmgrName}`, nsmgr?.elements));
    found.push(...nonZero(`${node.nsmgrName} client`, nsmgr?.clientElements));
    for (const fwd of node.forwarders.values()) {
      const inspect = fwd.server.inspect;
      if (inspect === undefined) continue;
      found.push(...nonZero(fwd.name, inspect.elements));
      found.push(...nonZero(`${fwd.name} client`, inspect.clientElements));
      const live = fwd.dataPlane().live.size;
      if (live !== 0) found.push(`${fwd.name} data-plane.live=${live}`);
    }
    for (const nse of node.endpoints.values()) found.push(...nonZero(nse.name, nse.server.inspect?.elements));
  }
  clients.forEach((nsc, i) => found.push(...nonZero(`client ${i}`, nsc.elements)));
  return found;
}

/**
 * Waits (bounded) until nothing is left behind, then asserts it with the list of what is. Idle channels are
 * closed first: the monitor stream a channel shares between its connections outlives them for a while.
 */
export async function assertNothingLeft(
  domain: Domain,
  clients: readonly SandboxClient[] = [],
  expected: readonly string[] = [],
): Promise<void> {
  domain.closeIdleChannels();
  const same = (): boolean => JSON.stringify(leftovers(domain, clients)) === JSON.stringify(expected);
  await eventually(same, 5000, 'state back to the expected leftovers').catch(() => undefined);
  assert.equal(leftovers(domain, clients), expected);
}

/** Active handles and requests by type (`process.getActiveResourcesInfo()`), for growth checks. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Resource types of which more are active now than in `before`, as `type +n`. */
export function resourceGrowth(before: Map<string, number>): string[] {
  const grown: string[] = [];
  for (const [type, n] of activeResources()) {
    const was = before.get(type) ?? 0;
    if (n > was) grown.push(`${type} +${n - was}`);
  }
  return grown;
}

/** Runs `body` with a fresh domain, closes it, and asserts the process holds no more resources than before. */
export async function withoutResourceGrowth(body: () => Promise<void>): Promise<void> {
  const before = activeResources();
  await body();
  await eventually(() => resourceGrowth(before).length === 0, 5000, 'resources released').catch(
    () => undefined,
  );
  assert.equal(resourceGrowth(before), [], 'active resources after domain.close()');
}

/** What `promise` rejected with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected the call to fail');
  return undefined;
}

/** Asserts a StatusError with this code and reason (the message is shown when they differ). */
export function assertStatus(error: unknown, code: Code, reason: string): void {
  assert.ok(isStatusError(error), `not a StatusError: ${String(error)}`);
  const seen = `${error.code} ${error.reason} (${error.message})`;
  assert.is(`${error.code} ${error.reason}`, `${code} ${reason}`, seen);
}

export interface World {
  readonly domain: Domain;
  readonly clock: ManualClock;
  readonly node: SandboxNode;
}

/**
 * A test body run in a one-node domain on a manual clock (so every timer is counted); the domain is closed
 * after it, and the process must hold no more resources than before.
 */
export function inSandbox(
  body: (world: World) => Promise<void>,
  options: SandboxOptions = {},
): () => Promise<void> {
  return () =>
    withoutResourceGrowth(async () => {
      const clock = manualClock();
      const domain = await createSandbox({ nodes: 1, clock, ...options });
      try {
        await body({ domain, clock, node: domain.nodes[0]! });
      } finally {
        await domain.close();
      }
    });
}
