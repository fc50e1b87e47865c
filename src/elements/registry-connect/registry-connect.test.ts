import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, of, toArray, type Observable } from 'rxjs';
import {
  NetworkService,
  NetworkServiceEndpoint,
  type NetworkServiceEndpointResponse,
} from '../../api/gen/registry.js';
import { clientUrlOf } from '../../chain/client-url.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import type { Dialer, PeerConnection } from '../../chain/peer.js';
import {
  nseRegistryHandler,
  nseRegistryTail,
  nsRegistryHandler,
  type NseRegistryHandler,
} from '../../chain/registry.js';
import { memoryNseRegistry, memoryNsRegistry } from '../registry-memory/index.js';
import {
  connectNseRegistryServer,
  registryClientUrl,
  registryConnectNs,
  registryConnectNse,
  registryDialNs,
  registryDialNse,
  withRegistryPeer,
} from './index.js';

const bg = (): CallContext => CallContext.background();
const nse = (name: string): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({ name, url: 'tcp://nse:1' });
const everything = { networkServiceEndpoint: undefined, watch: false };
const all = <T>(stream$: Observable<T>): Promise<T[]> => lastValueFrom(stream$.pipe(toArray()));
const names = (rs: readonly NetworkServiceEndpointResponse[]): string[] =>
  rs.map((r) => r.networkServiceEndpoint?.name ?? '?');

/** In-memory peers: one memory registry per URL; counts dials and open connections. */
function fakePeers(options: { failReady?: boolean } = {}) {
  const registries = new Map<
    string,
    { nse: ReturnType<typeof memoryNseRegistry>; ns: ReturnType<typeof memoryNsRegistry> }
  >();
  const at = (url: string) => {
    let registry = registries.get(url);
    if (registry === undefined) {
      registry = { nse: memoryNseRegistry(), ns: memoryNsRegistry() };
      registries.set(url, registry);
    }
    return registry;
  };
  const state = { dials: 0, open: 0, unavailable: false };
  const dialer: Dialer = (url) => {
    state.dials++;
    state.open++;
    let closed = false;
    const registry = at(url);
    const nseRegistry = nseRegistryHandler([
      {
        name: 'network',
        register: (entry, ctx, next) =>
          state.unavailable
            ? Promise.reject(new StatusError(Code.UNAVAILABLE, 'connection refused'))
            : next.register(entry, ctx),
      },
      registry.nse,
    ]);
    const peer = {
      url,
      nseRegistry,
      nsRegistry: nsRegistryHandler([registry.ns]),
      close() {
        if (!closed) state.open--;
        closed = true;
      },
      waitForReady: options.failReady ? () => Promise.reject(new Error('timed out')) : undefined,
    };
    return peer as unknown as PeerConnection;
  };
  return { dialer, state, at };
}

const dial = suite('registry-connect: clientUrl, dial and connect client');

dial('names registered at one URL share one connection; the last Unregister closes it', async () => {
  const peers = fakePeers();
  const dialNse = registryDialNse({ dialer: peers.dialer });
  const client = nseRegistryHandler([registryClientUrl('tcp://reg:1'), dialNse, registryConnectNse()]);
  await client.register(nse('a'), bg());
  await client.register(nse('b'), bg());
  await client.register(nse('a'), bg());
  assert.is(peers.state.dials, 1);
  assert.is(peers.at('tcp://reg:1').nse.size, 2);
  assert.equal(names(await all(client.find(everything, bg()))), ['a', 'b']);
  await client.unregister(nse('a'), bg());
  assert.is(peers.state.open, 1);
  await client.unregister(nse('b'), bg());
  assert.is(peers.state.open, 0);
  assert.is(dialNse.connections, 0);
});

dial('a Find holds its connection while it runs', async () => {
  const peers = fakePeers();
  const client = nseRegistryHandler([
    registryClientUrl('tcp://reg:1'),
    registryDialNse({ dialer: peers.dialer }),
    registryConnectNse(),
  ]);
  const watch = client.find({ ...everything, watch: true }, bg()).subscribe();
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(peers.state.open, 1);
  watch.unsubscribe();
  assert.is(peers.state.open, 0);
  await all(client.find(everything, bg()));
  assert.is(peers.state.open, 0);
});

dial('a name registered at another URL is unregistered at the old one first', async () => {
  const peers = fakePeers();
  const dialNse = registryDialNse({ dialer: peers.dialer });
  const byUrl = (u: string) => nseRegistryHandler([registryClientUrl(u), dialNse, registryConnectNse()]);
  await byUrl('tcp://old:1').register(nse('a'), bg());
  await byUrl('tcp://new:1').register(nse('a'), bg());
  assert.is(peers.at('tcp://old:1').nse.size, 0);
  assert.is(peers.at('tcp://new:1').nse.size, 1);
  assert.is(peers.state.open, 1);
});

dial('after UNAVAILABLE the next call dials afresh; a failed first Register lets go', async () => {
  const peers = fakePeers();
  const client = nseRegistryHandler([
    registryClientUrl('tcp://reg:1'),
    registryDialNse({ dialer: peers.dialer }),
    registryConnectNse(),
  ]);
  peers.state.unavailable = true;
  await client.register(nse('a'), bg()).catch(() => undefined);
  assert.is(peers.state.open, 0);
  peers.state.unavailable = false;
  await client.register(nse('a'), bg());
  assert.is(peers.state.dials, 2);
  peers.state.unavailable = true;
  await client.register(nse('a'), bg()).catch(() => undefined);
  peers.state.unavailable = false;
  await client.register(nse('a'), bg());
  assert.is(peers.state.dials, 3);
  assert.is(peers.state.open, 1, 'the replaced connection closed with its last user');
});

dial('chainSignal closes everything; later calls fail with REGISTRY_DIAL_CLOSED', async () => {
  const peers = fakePeers();
  const chain = new AbortController();
  const client = nseRegistryHandler([
    registryClientUrl('tcp://reg:1'),
    registryDialNse({ dialer: peers.dialer, chainSignal: chain.signal }),
    registryConnectNse(),
  ]);
  await client.register(nse('a'), bg());
  chain.abort();
  assert.is(peers.state.open, 0);
  await client.register(nse('b'), bg()).then(
    () => assert.unreachable('should fail'),
    (error: unknown) => assert.is(isStatusError(error) && error.reason, 'REGISTRY_DIAL_CLOSED'),
  );
});

dial('a connection that never gets ready fails with REGISTRY_DIAL_FAILED and is closed', async () => {
  const peers = fakePeers({ failReady: true });
  const client = nseRegistryHandler([
    registryClientUrl('tcp://reg:1'),
    registryDialNse({ dialer: peers.dialer }),
    registryConnectNse(),
  ]);
  try {
    await client.register(nse('a'), bg());
    assert.unreachable('should fail');
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.UNAVAILABLE);
    assert.is(error.reason, 'REGISTRY_DIAL_FAILED');
  }
  assert.is(peers.state.open, 0);
});

dial(
  'without a URL dial passes through; connect without a connection fails with REGISTRY_CONNECT_NO_PEER',
  async () => {
    const peers = fakePeers();
    const client = nseRegistryHandler([registryDialNse({ dialer: peers.dialer }), registryConnectNse()]);
    await client.register(nse('a'), bg()).then(
      () => assert.unreachable('should fail'),
      (error: unknown) => assert.is(isStatusError(error) && error.reason, 'REGISTRY_CONNECT_NO_PEER'),
    );
    assert.is(peers.state.dials, 0);
    const found = await all(client.find(everything, bg())).catch((error: unknown) => error);
    assert.is(isStatusError(found) && found.reason, 'REGISTRY_CONNECT_NO_PEER');
  },
);

dial('a static connection in the context and the NS twins work too; options are checked', async () => {
  const peers = fakePeers();
  const peer = peers.dialer('tcp://static:1');
  const ns = nsRegistryHandler([registryConnectNs()]);
  await ns.register(NetworkService.fromPartial({ name: 'svc' }), withRegistryPeer(bg(), peer));
  assert.is(peers.at('tcp://static:1').ns.size, 1);
  const viaDial = nsRegistryHandler([
    registryClientUrl('tcp://x:1'),
    registryDialNs({ dialer: peers.dialer }),
    registryConnectNs(),
  ]);
  await viaDial.register(NetworkService.fromPartial({ name: 'svc' }), bg());
  assert.is(peers.at('tcp://x:1').ns.size, 1);
  const seen: (string | undefined)[] = [];
  await nseRegistryHandler([
    registryClientUrl('tcp://y:1'),
    { name: 'probe', register: (e, c, n) => (seen.push(clientUrlOf(c)), n.register(e, c)) },
  ]).register(nse('a'), bg());
  assert.equal(seen, ['tcp://y:1']);
  assert.throws(
    () => registryClientUrl(''),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => registryDialNse({ dialer: peers.dialer, dialTimeoutMs: -1 }),
    (e: unknown) => e instanceof ConfigError,
  );
});

dial.run();

const server = suite('registry-connect: server bridge');

/** A client handler that records calls and can fail. */
function recordingClient(): NseRegistryHandler & { calls: string[]; failUnregister: boolean } {
  const self = {
    calls: [] as string[],
    failUnregister: false,
    register: async (entry: NetworkServiceEndpoint) => {
      self.calls.push(`register:${entry.name}`);
      return { ...entry, url: 'tcp://from-client:1' };
    },
    find: () => of({ networkServiceEndpoint: nse('remote'), deleted: false }),
    unregister: async (entry: NetworkServiceEndpoint) => {
      self.calls.push(`unregister:${entry.name}:${entry.url}`);
      if (self.failUnregister) throw new Error('client unregister failed');
    },
  };
  return self;
}

server('Register goes through the client, then on with its response', async () => {
  const client = recordingClient();
  const memory = memoryNseRegistry();
  const handler = nseRegistryHandler([connectNseRegistryServer(client), memory]);
  const registered = await handler.register(nse('a'), bg());
  assert.is(registered.url, 'tcp://from-client:1');
  assert.equal(names(await all(handler.find(everything, bg()))), ['remote', 'a']);
});

server('a failure after the client undoes the client registration', async () => {
  const client = recordingClient();
  const handler = nseRegistryHandler([connectNseRegistryServer(client)], {
    ...nseRegistryTail,
    register: () => Promise.reject(new Error('next failed')),
  });
  await handler.register(nse('a'), bg()).catch(() => undefined);
  assert.equal(client.calls, ['register:a', 'unregister:a:tcp://from-client:1']);
});

server('Unregister reaches both and fails with the client error when only the client failed', async () => {
  const client = recordingClient();
  const unregistered: string[] = [];
  const handler = nseRegistryHandler([connectNseRegistryServer(client)], {
    ...nseRegistryTail,
    unregister: async (entry) => void unregistered.push(entry.name),
  });
  client.failUnregister = true;
  await handler.unregister(nse('a'), bg()).then(
    () => assert.unreachable('should fail'),
    (error: unknown) => assert.is((error as Error).message, 'client unregister failed'),
  );
  assert.equal(unregistered, ['a']);
});

server.run();
