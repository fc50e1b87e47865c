/**
 * End to end over a unix socket: a registry server chain (begin, setRegistrationTime, expire, memory, with the
 * registry path) driven by registry client chains (begin, retry, heal, refresh, clientUrl, dial, connect) over
 * grpcDialer(), with one manual clock for both sides.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray, type Subscription } from 'rxjs';
import { NetworkServiceEndpoint, type NetworkServiceEndpointResponse } from '../../api/gen/registry.js';
import { grpcDialer } from '../../api/peer.js';
import { serve, type NsmServer } from '../../api/server.js';
import { msFromTimestamp } from '../../api/timestamp.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import {
  nseRegistryHandler,
  type NseRegistryElement,
  type NseRegistryHandler,
} from '../../chain/registry.js';
import { manualClock } from '../../testing/index.js';
import { beginNseClient, beginNseServer } from '../registry-begin/index.js';
import { registryClientUrl, registryConnectNse, registryDialNse } from '../registry-connect/index.js';
import { expireNse } from '../registry-expire/index.js';
import { healNseClient } from '../registry-heal/index.js';
import { refreshNseClient } from '../registry-refresh/index.js';
import { retryNseClient } from '../registry-retry/index.js';
import { setRegistrationTimeNse } from '../registry-set-registration-time/index.js';
import {
  pathNseClient,
  updatePathNseServer,
  withRegistryPath,
  type RegistryPath,
} from '../registry-update-path/index.js';
import { memoryNseRegistry } from './index.js';

const watchedResources = ['TCPServerWrap', 'TCPSocketWrap', 'PipeWrap', 'PipeServerWrap', 'Timeout'];
const resources = (): string[] =>
  process
    .getActiveResourcesInfo()
    .filter((name) => watchedResources.includes(name))
    .sort();

/** Polls (event-loop turns, not sleeps) until `check` holds; fails instead of hanging. */
async function until(check: () => boolean, what: string): Promise<void> {
  const giveUpAt = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > giveUpAt) assert.unreachable(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const jwt = (sub: string): string =>
  ['e30', Buffer.from(JSON.stringify({ sub })).toString('base64url'), 'sig'].join('.');
const nse = (name: string): NetworkServiceEndpoint =>
  NetworkServiceEndpoint.fromPartial({
    name,
    url: `tcp://10.0.0.1:500${name.length}`,
    networkServiceNames: ['svc'],
  });

const e2e = suite('registry-memory e2e: registry server and client chains over a unix socket');

const clock = manualClock();
const ctx = (): CallContext => withClock(CallContext.background(), clock);
const dir = mkdtempSync(join(tmpdir(), 'nsm-registry-'));
const serverChain = new AbortController();
const clientChain = new AbortController();
const memory = memoryNseRegistry();
const expire = expireNse({ chainSignal: serverChain.signal });
let baseline: string[] = [];
let server: NsmServer;
let refreshing: NseRegistryHandler;
let plain: NseRegistryHandler;
const dialers: { readonly connections: number }[] = [];
/** Registers the refreshing client finished (the clock must not move while one is on the wire). */
let completedRegisters = 0;
const probe: NseRegistryElement = {
  name: 'probe',
  async register(entry, c, next) {
    const response = await next.register(entry, c);
    completedRegisters++;
    return response;
  },
};

function clientChainFor(url: string, extra: NseRegistryElement[]): NseRegistryHandler {
  const signal = clientChain.signal;
  const dial = registryDialNse({ dialer: grpcDialer(), chainSignal: signal });
  dialers.push(dial);
  return nseRegistryHandler([
    beginNseClient(),
    retryNseClient({ chainSignal: signal }),
    ...extra,
    registryClientUrl(url),
    pathNseClient(),
    dial,
    registryConnectNse(),
  ]);
}

e2e.before(async () => {
  baseline = resources();
  server = await serve(
    `unix://${join(dir, 'registry.sock')}`,
    {
      nseRegistry: nseRegistryHandler([
        updatePathNseServer({
          tokenGenerator: () => ({
            token: jwt('spiffe://test/registry'),
            expiresAt: clock.now() + 3_600_000,
          }),
        }),
        beginNseServer(),
        setRegistrationTimeNse(),
        expire,
        memory,
      ]),
    },
    { baseContext: ctx() },
  );
  const signal = clientChain.signal;
  refreshing = clientChainFor(server.url, [
    healNseClient({ chainSignal: signal }),
    refreshNseClient({ chainSignal: signal }),
    probe,
  ]);
  plain = clientChainFor(server.url, []);
});

e2e.after(async () => {
  clientChain.abort();
  await server.close(100);
  serverChain.abort();
  rmSync(dir, { recursive: true, force: true });
});

const events: NetworkServiceEndpointResponse[] = [];
let watch: Subscription | undefined;
const seen = (): string[] =>
  events.map((e) => `${e.networkServiceEndpoint?.name}${e.deleted ? ':deleted' : ''}`);

e2e('register stamps the times and the path; find sees it; a watch follows changes', async () => {
  const path: RegistryPath = { index: 0, segments: [] };
  const registered = await refreshing.register(nse('a'), withRegistryPath(ctx(), path));
  assert.is(msFromTimestamp(registered.expirationTime!) - clock.now(), 60_000);
  assert.is(msFromTimestamp(registered.initialRegistrationTime!), clock.now());
  assert.equal(registered.pathIds, ['', 'spiffe://test/registry']);
  assert.is(path.segments.length, 2, 'the path came back in the response header');
  const found = await lastValueFrom(
    refreshing
      .find(
        { networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ name: 'a' }), watch: false },
        ctx(),
      )
      .pipe(toArray()),
  );
  assert.equal(
    found.map((r) => r.networkServiceEndpoint?.url),
    [nse('a').url],
  );
  watch = refreshing
    .find({ networkServiceEndpoint: undefined, watch: true }, ctx())
    .subscribe((e) => events.push(e));
  await until(() => events.length === 1, 'the current state on the watch');
  await plain.register(nse('bb'), ctx());
  await until(() => events.length === 2, 'the new registration on the watch');
  assert.equal(seen(), ['a', 'bb']);
});

e2e('an NSE that stops refreshing expires; one that refreshes stays', async () => {
  const initial = memory.size;
  assert.is(initial, 2);
  clock.advance(40_000);
  await until(() => events.length === 3 && completedRegisters === 2, 'the refresh of a');
  clock.advance(20_000);
  await until(() => events.length === 4, 'the expiry of bb on the watch');
  assert.equal(seen(), ['a', 'bb', 'a', 'bb:deleted']);
  assert.is(memory.size, 1);
  assert.is(expire.size, 1);
});

e2e('unregister removes the NSE, the watch sees the deletion, and everything closes', async () => {
  await refreshing.unregister(nse('a'), ctx());
  await until(() => events.length === 5, 'the deletion of a on the watch');
  assert.equal(seen().at(-1), 'a:deleted');
  assert.is(memory.size, 0);
  assert.is(expire.size, 0);
  watch?.unsubscribe();
  await until(() => memory.watchers === 0, 'the server side of the watch to end');
  await plain.unregister(nse('bb'), ctx());
  assert.equal(
    dialers.map((d) => d.connections),
    [0, 0],
    'the last user closed each connection',
  );
  assert.is(clock.pendingTimers, 0);
  clientChain.abort();
  await server.close(100);
  await until(() => JSON.stringify(resources()) === JSON.stringify(baseline), 'sockets and timers to close');
});

e2e.run();
