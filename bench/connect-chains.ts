/**
 * The control plane without gRPC: the same presets as the sandbox's local case (client → nsmgr → forwarder →
 * endpoint, registries in the nsmgr's memory) wired by in-process calls that carry what crosses the wire
 * (cancellation, deadline, headers: the tokens). What is left is the cost of the chains themselves; the
 * difference to `connect.ts` is the gRPC transport. Sequential Request + Close on fresh ids, after warmup.
 * Knobs: BENCH_CONNECTS (default 2000), BENCH_WARMUP (default 500).
 * Output: human table on stdout, bench/results/connect-chains.json.
 */
import { randomUUID } from 'node:crypto';
import { EMPTY } from 'rxjs';
import { NetworkServiceRequest } from '../src/api/gen/networkservice.js';
import { NetworkService, NetworkServiceEndpoint } from '../src/api/gen/registry.js';
import { outgoingMetadataOf, withIncomingCall } from '../src/chain/call-metadata.js';
import { withCancel } from '../src/chain/cancel.js';
import { CallContext } from '../src/chain/context.js';
import type { MonitorHandler } from '../src/chain/monitor.js';
import type { NetworkServiceHandler } from '../src/chain/network-service.js';
import type { Dialer, PeerConnection } from '../src/chain/peer.js';
import { tokenDialer } from '../src/elements/token-dialer/index.js';
import { jwtTokenGenerator } from '../src/elements/token-jwt/index.js';
import { client } from '../src/presets/client/index.js';
import { endpoint } from '../src/presets/endpoint/index.js';
import { forwarder } from '../src/presets/forwarder/index.js';
import { nsmgr } from '../src/presets/nsmgr/index.js';
import { percentiles } from './connect-lib.js';
import { round, writeResults } from './lib.js';

const SAMPLES = Number(process.env['BENCH_CONNECTS'] ?? 2000);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 500);

/** The call as the next hop's server sees it: a fresh context with our outgoing headers as incoming ones. */
const acrossTheWire = (ctx: CallContext): CallContext =>
  withIncomingCall(CallContext.of({ signal: ctx.signal, deadline: ctx.deadline }), outgoingMetadataOf(ctx), {
    address: 'in-process',
  });

const noRegistry = { register: () => Promise.reject(new Error('no registry')), find: () => EMPTY };

function inProcessPeer(url: string, service: NetworkServiceHandler, monitor: MonitorHandler): PeerConnection {
  return {
    url,
    networkService: {
      request: (request, ctx) => service.request(request, acrossTheWire(ctx)),
      close: (connection, ctx) => service.close(connection, acrossTheWire(ctx)),
    },
    monitorConnection: {
      monitorConnections: (selector, ctx) => monitor.monitorConnections(selector, acrossTheWire(ctx)),
    },
    nsRegistry: { ...noRegistry, unregister: () => Promise.resolve() },
    nseRegistry: { ...noRegistry, unregister: () => Promise.resolve() },
    close: () => undefined,
  };
}

const chain = new AbortController();
const servers = new Map<
  string,
  { networkService: NetworkServiceHandler; monitorConnection: MonitorHandler }
>();
const raw: Dialer = (url) => {
  const server = servers.get(url);
  if (server === undefined) throw new Error(`no server at ${url}`);
  return inProcessPeer(url, server.networkService, server.monitorConnection);
};
const tokens = (name: string) =>
  jwtTokenGenerator({ spiffeId: `spiffe://test.com/${name}`, lifetimeMs: 600_000 });
const common = (name: string) => ({ name, tokenGenerator: tokens(name), chainSignal: chain.signal });
const dialerOf = (name: string): Dialer => tokenDialer(raw, tokens(name));

const mgr = nsmgr({ ...common('nsmgr'), url: 'mem://nsmgr', dialer: dialerOf('nsmgr') });
const fwd = forwarder({
  ...common('forwarder'),
  dialer: dialerOf('forwarder'),
  nsRegistry: mgr.nsRegistry,
  nseRegistry: mgr.nseRegistry,
});
const nse = endpoint(common('nse'));
servers.set('mem://nsmgr', mgr);
servers.set('mem://forwarder', fwd);
servers.set('mem://nse', nse);

const scope = (): ReturnType<typeof withCancel> => withCancel(CallContext.background(), 15_000);
const setup = scope();
await mgr.nsRegistry.register(NetworkService.fromPartial({ name: 'svc' }), setup.ctx);
for (const [name, url, service] of [
  ['forwarder', 'mem://forwarder', 'forwarder'],
  ['nse', 'mem://nse', 'svc'],
] as const) {
  const labels = service === 'forwarder' ? { forwarder: { labels: { p2p: 'true' } } } : {};
  await mgr.nseRegistry.register(
    NetworkServiceEndpoint.fromPartial({
      name,
      url,
      networkServiceNames: [service],
      networkServiceLabels: labels,
    }),
    setup.ctx,
  );
}
setup.cancel();

const nsc = client({ ...common('nsc'), dialer: dialerOf('nsc'), url: 'mem://nsmgr', refresh: false });
const request = (): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id: randomUUID(), networkService: 'svc' },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'KERNEL' }],
  });

async function connect(): Promise<[number, number]> {
  const s = scope();
  try {
    const t0 = performance.now();
    const connection = await nsc.request(request(), s.ctx);
    const t1 = performance.now();
    await nsc.close(connection, s.ctx);
    return [t1 - t0, performance.now() - t1];
  } finally {
    s.cancel();
  }
}

for (let i = 0; i < WARMUP; i++) await connect();
const requests: number[] = [];
const closes: number[] = [];
const cpu = process.cpuUsage();
for (let i = 0; i < SAMPLES; i++) {
  const [requestMs, closeMs] = await connect();
  requests.push(requestMs);
  closes.push(closeMs);
}
const used = process.cpuUsage(cpu);
const results = {
  samples: SAMPLES,
  warmup: WARMUP,
  request: percentiles(requests),
  close: percentiles(closes),
  cpuMsPerConnect: round((used.user + used.system) / 1000 / SAMPLES, 3),
};
console.log('client → nsmgr → forwarder → endpoint, in process without gRPC:');
console.table([
  {
    'request p50 ms': results.request.p50,
    'request p99 ms': results.request.p99,
    'close p50 ms': results.close.p50,
    'cpu ms / connect': results.cpuMsPerConnect,
  },
]);
console.log(`wrote ${writeResults('connect-chains', results)}`);
chain.abort();
