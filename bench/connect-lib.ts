/**
 * Shared by the control-plane benchmarks (connect.ts, connect-heap.ts): a sandbox domain with one service and
 * one endpoint on node 0, sandbox clients, and timed Request/Close.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from '../src/api/gen/connection.js';
import { NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { NetworkService } from '../src/api/gen/registry.js';
import { createSandbox, type Domain, type SandboxNode } from '../src/testing/sandbox/index.js';
import { quantile, round, shareMonitorStreams } from './lib.js';

export const SERVICE = 'bench-service';

export type Client = ReturnType<SandboxNode['newClient']>;

/** The acceptance tests' default request: a fresh id, the service, a LOCAL KERNEL mechanism preference. */
export const connectRequest = (): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id: randomUUID(), networkService: SERVICE, context: {}, labels: {} },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL' }],
  });

/** Registers the service and starts its endpoint on node 0. */
export async function populate(domain: Domain): Promise<void> {
  const scope = domain.requestContext();
  try {
    await domain.nodes[0]!.nsRegistry().register(NetworkService.fromPartial({ name: SERVICE }), scope.ctx);
  } finally {
    scope.cancel();
  }
  await domain.nodes[0]!.newEndpoint({
    registration: { name: 'bench-endpoint', networkServiceNames: [SERVICE] },
  });
}

/** A tcp sandbox with a registry, `nodes` nodes (one forwarder each), the service, and an endpoint on node 0. */
export async function benchDomain(nodes: number): Promise<Domain> {
  const domain = await createSandbox({ nodes, transport: 'tcp', registry: true, shareMonitorStreams });
  try {
    await populate(domain);
    return domain;
  } catch (error) {
    await domain.close();
    throw error;
  }
}

/** Runs `body` on a fresh `benchDomain(nodes)` and closes the domain after. */
export async function withDomain<T>(nodes: number, body: (domain: Domain) => Promise<T>): Promise<T> {
  const domain = await benchDomain(nodes);
  try {
    return await body(domain);
  } finally {
    await domain.close();
  }
}

/** One Request on a fresh id; returns the connection and the milliseconds it took. */
export async function timedRequest(
  domain: Domain,
  nsc: Client,
): Promise<{ connection: Connection; ms: number }> {
  const scope = domain.requestContext();
  try {
    const t0 = performance.now();
    const connection = await nsc.request(connectRequest(), scope.ctx);
    return { connection, ms: performance.now() - t0 };
  } finally {
    scope.cancel();
  }
}

/** Closes `connection`; returns the milliseconds it took. */
export async function timedClose(domain: Domain, nsc: Client, connection: Connection): Promise<number> {
  const scope = domain.requestContext();
  try {
    const t0 = performance.now();
    await nsc.close(connection, scope.ctx);
    return performance.now() - t0;
  } finally {
    scope.cancel();
  }
}

/** `count` sequential connects, each followed by its Close; the Request and Close times in ms. */
export async function sequentialConnects(
  domain: Domain,
  nsc: Client,
  count: number,
): Promise<{ request: number[]; close: number[] }> {
  const request: number[] = [];
  const close: number[] = [];
  for (let i = 0; i < count; i++) {
    const { connection, ms } = await timedRequest(domain, nsc);
    request.push(ms);
    close.push(await timedClose(domain, nsc, connection));
  }
  return { request, close };
}

/** Runs `task(i)` for i < count, at most `parallel` at a time. */
export async function pool<T>(
  count: number,
  parallel: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return out;
}

export interface Percentiles {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** p50, p99 and max (ms, 2 decimals) of `samples`, nearest rank. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50: round(quantile(sorted, 0.5), 2),
    p99: round(quantile(sorted, 0.99), 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
  };
}
