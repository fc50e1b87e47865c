import { Observable, from, type Subscriber } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type DeepPartial,
  type NetworkServiceEndpointResponse,
  type NetworkServiceResponse,
} from '../../api/gen/registry.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { networkServiceHandler } from '../../chain/network-service.js';
import type { NseRegistryHandler, NsRegistryHandler } from '../../chain/registry.js';
import { count, injectError, manualClock, type ManualClock } from '../../testing/index.js';
import { beginServer } from '../begin/index.js';
import { metadata } from '../metadata/index.js';
import { matchNetworkServiceEndpoints, matchNetworkServices } from '../match-utils/index.js';
import { netSvcMonitorServer } from './index.js';

/** An NS registry whose watch Finds send the current matches, then every later Register. */
function nsRegistry(initial: DeepPartial<NetworkService>[], options: { exactNames?: boolean } = {}) {
  const list = initial.map((e) => NetworkService.fromPartial(e));
  const watchers = new Set<{ query: NetworkService; subscriber: Subscriber<NetworkServiceResponse> }>();
  const matches = (query: NetworkService, ns: NetworkService): boolean =>
    options.exactNames === false || matchNetworkServices(query, ns);
  const registry = {
    opened: 0,
    failFind: undefined as Error | undefined,
    get active(): number {
      return watchers.size;
    },
    register: async (ns: NetworkService): Promise<NetworkService> => {
      const i = list.findIndex((e) => e.name === ns.name);
      if (i >= 0) list.splice(i, 1, ns);
      else list.push(ns);
      for (const w of watchers)
        if (matches(w.query, ns)) w.subscriber.next({ networkService: ns, deleted: false });
      return ns;
    },
    find(query: {
      networkService: NetworkService | undefined;
      watch: boolean;
    }): Observable<NetworkServiceResponse> {
      registry.opened++;
      if (registry.failFind !== undefined) throw registry.failFind;
      const q = query.networkService ?? NetworkService.create();
      return new Observable<NetworkServiceResponse>((subscriber) => {
        for (const ns of list) if (matches(q, ns)) subscriber.next({ networkService: ns, deleted: false });
        if (!query.watch) return subscriber.complete();
        const watcher = { query: q, subscriber };
        watchers.add(watcher);
        return () => watchers.delete(watcher);
      });
    },
    unregister: async (ns: NetworkService): Promise<void> => {
      const i = list.findIndex((e) => e.name === ns.name);
      if (i < 0) return;
      const [gone] = list.splice(i, 1);
      for (const w of watchers)
        if (gone !== undefined && matches(w.query, gone))
          w.subscriber.next({ networkService: gone, deleted: true });
    },
    /** Ends every open watch with `error`, or completes them. */
    breakStreams(error?: Error): void {
      for (const w of [...watchers]) {
        watchers.delete(w);
        if (error === undefined) w.subscriber.complete();
        else w.subscriber.error(error);
      }
    },
  };
  return registry satisfies NsRegistryHandler;
}

function nseRegistry(entries: DeepPartial<NetworkServiceEndpoint>[]): NseRegistryHandler {
  const list = entries.map((e) => NetworkServiceEndpoint.fromPartial(e));
  return {
    register: async (nse) => nse,
    find(query): Observable<NetworkServiceEndpointResponse> {
      const q = query.networkServiceEndpoint ?? NetworkServiceEndpoint.create();
      return from(
        list
          .filter((e) => matchNetworkServiceEndpoints(q, e))
          .map((e) => ({ networkServiceEndpoint: e, deleted: false })),
      );
    },
    unregister: async () => undefined,
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

const endpoint = {
  name: 'nse-1',
  networkServiceNames: ['svc'],
  networkServiceLabels: { svc: { labels: { app: 'a' } } },
};
const selecting = (app: string): DeepPartial<NetworkService> => ({
  name: 'svc',
  matches: [{ routes: [{ destinationSelector: { app } }] }],
});

interface Setup {
  readonly ns: ReturnType<typeof nsRegistry>;
  readonly clock: ManualClock;
  readonly chain: AbortController;
  readonly counter: ReturnType<typeof count>;
  readonly handler: ReturnType<typeof networkServiceHandler>;
  readonly ctx: CallContext;
}

function setup(
  options: {
    exactNames?: boolean;
    failRequests?: number[];
    nses?: DeepPartial<NetworkServiceEndpoint>[];
    idleWatchMs?: number;
  } = {},
): Setup {
  const ns = nsRegistry([{ name: 'svc' }], options);
  const clock = manualClock();
  const chain = new AbortController();
  const counter = count();
  const handler = networkServiceHandler([
    beginServer(),
    metadata(),
    netSvcMonitorServer({
      nsRegistry: ns,
      nseRegistry: nseRegistry(options.nses ?? [endpoint]),
      chainSignal: chain.signal,
      // Most tests look at one watch's life; lingering has its own test.
      idleWatchMs: options.idleWatchMs ?? 0,
    }),
    counter,
    injectError({ requestCalls: options.failRequests ?? [] }),
  ]);
  return { ns, clock, chain, counter, handler, ctx: withClock(CallContext.background(), clock) };
}

const request = (extra: DeepPartial<NetworkServiceRequest['connection']> = {}): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: { id: '1', networkService: 'svc', networkServiceEndpointName: 'nse-1', ...extra },
  });

const watching = suite('netsvcmonitor: closing on a service change');

watching('an update that no longer selects the endpoint closes the connection once', async () => {
  const s = setup();
  await s.handler.request(request(), s.ctx);
  await flush();
  assert.is(s.ns.active, 1);
  await s.ns.register(NetworkService.fromPartial(selecting('b')));
  await flush();
  assert.is(s.counter.closes, 1);
  assert.is(s.ns.active, 0, 'the watch stopped');
  await s.ns.register(NetworkService.fromPartial(selecting('c')));
  await flush();
  assert.is(s.counter.closes, 1);
  s.chain.abort();
});
watching('on a shared watch, only the connections the update no longer selects are closed', async () => {
  const s = setup({
    nses: [endpoint, { ...endpoint, name: 'nse-2', networkServiceLabels: { svc: { labels: { app: 'b' } } } }],
  });
  await s.handler.request(request(), s.ctx);
  await s.handler.request(request({ id: '2', networkServiceEndpointName: 'nse-2' }), s.ctx);
  await flush();
  await s.ns.register(NetworkService.fromPartial(selecting('b')));
  await flush();
  assert.is(s.counter.closes, 1);
  assert.is(s.ns.active, 1, 'connection 2 is still followed');
  await s.handler.request(request({ id: '3' }), s.ctx);
  await flush();
  assert.is(s.counter.closes, 2, 'a connection joining is checked against the service as last reported');
  s.chain.abort();
});
watching(
  'a connection joining after the service was deleted is not held to the deleted version',
  async () => {
    const appB = { ...endpoint, name: 'nse-2', networkServiceLabels: { svc: { labels: { app: 'b' } } } };
    const s = setup({ nses: [endpoint, appB], idleWatchMs: 60_000 });
    await s.handler.request(request({ networkServiceEndpointName: 'nse-2' }), s.ctx);
    await flush();
    await s.ns.register(NetworkService.fromPartial(selecting('b')));
    await s.ns.unregister(NetworkService.fromPartial({ name: 'svc' }));
    await flush();
    assert.is(s.counter.closes, 0, 'the deleted version still selects nse-2');
    await s.handler.request(request({ id: '2' }), s.ctx);
    await flush();
    assert.is(s.counter.closes, 0, 'nse-1 is not checked against a deleted service');
    s.chain.abort();
  },
);
watching('updates that still select the endpoint change nothing', async () => {
  const s = setup();
  await s.handler.request(request(), s.ctx);
  await s.ns.register(NetworkService.fromPartial(selecting('a')));
  await s.ns.register(NetworkService.fromPartial({ name: 'svc', payload: 'IP' }));
  await flush();
  assert.is(s.counter.closes, 0);
  assert.is(s.ns.active, 1);
  s.chain.abort();
  await flush();
  assert.is(s.ns.active, 0);
});
watching(
  'updates of other services are ignored, even from a registry that sends them (Go GroupOfSimilarNetworkServices)',
  async () => {
    const s = setup({ exactNames: false });
    await s.handler.request(request(), s.ctx);
    for (let i = 0; i < 10; i++) {
      await s.ns.register(
        NetworkService.fromPartial({ name: `svc${i}`, matches: [{ sourceSelector: { color: 'red' } }] }),
      );
    }
    await flush();
    assert.is(s.counter.closes, 0);
    s.chain.abort();
  },
);
watching('an endpoint no longer registered is left alone', async () => {
  const s = setup({ nses: [] });
  await s.handler.request(request(), s.ctx);
  await s.ns.register(NetworkService.fromPartial(selecting('b')));
  await flush();
  assert.is(s.counter.closes, 0);
  s.chain.abort();
});
watching('the connection labels are what the matches see', async () => {
  const s = setup({
    nses: [{ ...endpoint, networkServiceLabels: { svc: { labels: { app: 'a', node: 'n1' } } } }],
  });
  await s.handler.request(request({ labels: { node: 'n1' } }), s.ctx);
  await s.ns.register(
    NetworkService.fromPartial({
      name: 'svc',
      matches: [{ routes: [{ destinationSelector: { node: '{{.node}}' } }] }],
    }),
  );
  await flush();
  assert.is(s.counter.closes, 0);
  s.chain.abort();
});
watching.run();

const lifetime = suite('netsvcmonitor: watch lifetime');

lifetime('a refresh keeps following on the same watch; Close stops it', async () => {
  const s = setup();
  await s.handler.request(request(), s.ctx);
  await s.handler.request(request(), s.ctx);
  await flush();
  assert.is(s.ns.opened, 1);
  assert.is(s.ns.active, 1);
  await s.handler.close(request().connection!, s.ctx);
  await flush();
  assert.is(s.ns.active, 0);
  await s.ns.register(NetworkService.fromPartial(selecting('b')));
  await flush();
  assert.is(s.counter.closes, 1, 'only the explicit Close');
  assert.is(s.clock.pendingTimers, 0);
});
lifetime(
  'connections of one service share one watch, which ends with the last; the chain signal ends all',
  async () => {
    const s = setup();
    await s.handler.request(request(), s.ctx);
    await s.handler.request(request({ id: '2' }), s.ctx);
    await flush();
    assert.is(s.ns.opened, 1);
    await s.handler.close(request().connection!, s.ctx);
    await flush();
    assert.is(s.ns.active, 1, 'connection 2 still follows');
    await s.handler.close(request({ id: '2' }).connection!, s.ctx);
    await flush();
    assert.is(s.ns.active, 0);
    await s.handler.request(request({ id: '3' }), s.ctx);
    await s.handler.request(request({ id: '4', networkService: 'other' }), s.ctx);
    await flush();
    assert.is(s.ns.active, 2);
    s.chain.abort();
    await flush();
    assert.is(s.ns.active, 0);
    assert.is(s.clock.pendingTimers, 0);
  },
);
lifetime(
  'by default a watch outlives its last connection for a minute, then ends at the next Request',
  async () => {
    const s = setup({ idleWatchMs: 60_000 });
    const seconds = Math.floor(s.clock.now() / 1000) + 5;
    await s.handler.request(
      request({ path: { pathSegments: [{ name: 'a', expires: { seconds } }] } }),
      s.ctx,
    );
    await s.handler.close(request().connection!, s.ctx);
    assert.is(s.clock.pendingTimers, 0, 'an idle watch keeps no expiry timer');
    await s.handler.request(request({ id: '2' }), s.ctx);
    await s.handler.close(request({ id: '2' }).connection!, s.ctx);
    await flush();
    assert.is(s.ns.opened, 1, 'one after the other, they shared it');
    assert.is(s.ns.active, 1);
    await s.ns.register(NetworkService.fromPartial(selecting('b')));
    await flush();
    assert.is(s.counter.closes, 2, 'nobody left to close');
    s.clock.advance(60_000);
    await s.handler.request(request({ id: '3', networkService: 'other' }), s.ctx);
    await flush();
    assert.is(s.ns.active, 1, "svc's idle watch ended; other's is open");
    assert.is(s.clock.pendingTimers, 0, 'lingering needs no timer');
    s.chain.abort();
    await flush();
    assert.is(s.ns.active, 0);
  },
);
lifetime('the earliest path segment expiry ends the watch', async () => {
  const s = setup();
  const seconds = Math.floor(s.clock.now() / 1000);
  const path = {
    pathSegments: [
      { name: 'a', expires: { seconds: seconds + 5 } },
      { name: 'b', expires: { seconds: seconds + 2 } },
      { name: 'c' },
    ],
  };
  await s.handler.request(request({ path }), s.ctx);
  await flush();
  assert.is(s.ns.active, 1);
  s.clock.advance(1999);
  await flush();
  assert.is(s.ns.active, 1);
  s.clock.advance(1);
  await flush();
  assert.is(s.ns.active, 0);
  assert.is(s.clock.pendingTimers, 0);
});
lifetime('an already expired path starts no watch', async () => {
  const s = setup();
  const path = { pathSegments: [{ name: 'a', expires: { seconds: Math.floor(s.clock.now() / 1000) - 1 } }] };
  await s.handler.request(request({ path }), s.ctx);
  await flush();
  assert.is(s.ns.opened, 0);
});
lifetime('a failed Request stops the old watch and starts none', async () => {
  const s = setup({ failRequests: [2] });
  await s.handler.request(request(), s.ctx);
  await flush();
  await s.handler.request(request(), s.ctx).catch(() => undefined);
  await flush();
  assert.is(s.ns.opened, 1);
  assert.is(s.ns.active, 0);
  s.chain.abort();
});
lifetime('without begin there is nothing to close with, so no watch', async () => {
  const ns = nsRegistry([{ name: 'svc' }]);
  const handler = networkServiceHandler([
    metadata(),
    netSvcMonitorServer({
      nsRegistry: ns,
      nseRegistry: nseRegistry([endpoint]),
      chainSignal: new AbortController().signal,
    }),
  ]);
  const conn = await handler.request(request(), CallContext.background());
  assert.is(conn.id, '1');
  assert.is(ns.opened, 0);
});
lifetime.run();

const reopen = suite('netsvcmonitor: broken streams');

reopen('a broken or ended stream is re-opened after 100 ms', async () => {
  const s = setup();
  await s.handler.request(request(), s.ctx);
  await flush();
  s.ns.breakStreams(new Error('connection reset'));
  await flush();
  assert.is(s.ns.active, 0);
  s.clock.advance(99);
  await flush();
  assert.is(s.ns.opened, 1);
  s.clock.advance(1);
  await flush();
  assert.is(s.ns.opened, 2);
  assert.is(s.ns.active, 1);
  s.ns.breakStreams();
  await flush();
  s.clock.advance(100);
  await flush();
  assert.is(s.ns.opened, 3);
  await s.ns.register(NetworkService.fromPartial(selecting('b')));
  await flush();
  assert.is(s.counter.closes, 1, 'the re-opened watch still works');
  s.chain.abort();
});
reopen('a Find that throws is retried after 100 ms', async () => {
  const s = setup();
  s.ns.failFind = new Error('unavailable');
  await s.handler.request(request(), s.ctx);
  await flush();
  s.clock.advance(100);
  await flush();
  assert.is(s.ns.opened, 2);
  s.ns.failFind = undefined;
  s.clock.advance(100);
  await flush();
  assert.is(s.ns.active, 1);
  s.chain.abort();
  await flush();
  assert.is(s.clock.pendingTimers, 0);
});
reopen.run();

const config = suite('netsvcmonitor: options');

config('registries and the chain signal are required', () => {
  const ns = nsRegistry([]);
  const nse = nseRegistry([]);
  const signal = new AbortController().signal;
  const isConfig = (e: unknown): boolean => e instanceof ConfigError;
  assert.throws(() => netSvcMonitorServer({ nseRegistry: nse, chainSignal: signal } as never), isConfig);
  assert.throws(() => netSvcMonitorServer({ nsRegistry: ns, chainSignal: signal } as never), isConfig);
  assert.throws(() => netSvcMonitorServer({ nsRegistry: ns, nseRegistry: nse } as never), isConfig);
  const base = { nsRegistry: ns, nseRegistry: nse, chainSignal: signal };
  assert.throws(() => netSvcMonitorServer({ ...base, idleWatchMs: -1 }), isConfig);
});
config.run();
