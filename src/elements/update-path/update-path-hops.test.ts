import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import type { Connection } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import {
  networkServiceHandler,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { updatePathClient, updatePathServer } from './index.js';

const bg = (): CallContext => CallContext.background();

interface Sight {
  readonly hop: string;
  readonly method: 'request' | 'close';
  readonly id: string;
  readonly index: number;
  readonly names: readonly string[];
}

/** Records the connection a hop works with, right after its server (or NSC client) updatepath. */
function probe(hop: string, log: Sight[]): NetworkServiceElement {
  const sight = (method: Sight['method'], c: Connection | undefined): Sight => ({
    hop,
    method,
    id: c?.id ?? '',
    index: c?.path?.index ?? -1,
    names: c?.path?.pathSegments.map((s) => s.name) ?? [],
  });
  return {
    name: `probe-${hop}`,
    request: async (r, ctx, next) => {
      log.push(sight('request', r.connection));
      return next.request(r, ctx);
    },
    close: async (c, ctx, next) => {
      log.push(sight('close', c));
      return next.close(c, ctx);
    },
  };
}

/** A gRPC hop in memory: messages are copied both ways, as serialization would. */
function wire(target: () => NetworkServiceHandler, returned: Connection[]): NetworkServiceHandler {
  return {
    request: async (r, ctx) => {
      const conn = cloneMessage(await target().request(cloneMessage(r), ctx));
      returned.push(conn);
      return conn;
    },
    close: (c, ctx) => target().close(cloneMessage(c), ctx),
  };
}

/** nsc → nsmgr → forwarder (chosen per call) → nse, each hop a server chain with its inner client. */
function topology() {
  const log: Sight[] = [];
  const returned: Connection[] = [];
  const nse = networkServiceHandler([updatePathServer('nse'), probe('nse', log)]);
  const forwarder = (name: string): NetworkServiceHandler =>
    networkServiceHandler(
      [updatePathServer(name), probe(name, log), updatePathClient(name)],
      wire(() => nse, returned),
    );
  const forwarders = new Map([
    ['forwarder', forwarder('forwarder')],
    ['forwarder-2', forwarder('forwarder-2')],
  ]);
  const selected = { name: 'forwarder' };
  const nsmgr = networkServiceHandler(
    [updatePathServer('nsmgr'), probe('nsmgr', log), updatePathClient('nsmgr')],
    wire(() => forwarders.get(selected.name)!, returned),
  );
  const nsc = networkServiceHandler(
    [updatePathClient('nsc'), probe('nsc', log)],
    wire(() => nsmgr, returned),
  );
  return { nsc, log, returned, selected };
}

const hops = suite('update-path: four hops in process');

hops('a local connection grows to nsc, nsmgr, forwarder, nse; each hop sees its own id', async () => {
  const { nsc, log, returned } = topology();
  const conn = await nsc.request(
    NetworkServiceRequest.fromPartial({ connection: { networkService: 'ns' } }),
    bg(),
  );
  const segments = conn.path?.pathSegments ?? [];
  assert.equal(
    segments.map((s) => s.name),
    ['nsc', 'nsmgr', 'forwarder', 'nse'],
  );
  assert.is(conn.path?.index, 0);
  assert.is(conn.id, segments[0]?.id);
  assert.is(new Set(segments.map((s) => s.id)).size, 4, 'every segment has its own id');
  assert.equal(
    log.map((s) => [s.hop, s.index, s.id]),
    segments.map((s, i) => [s.name, i, s.id]),
  );
  // Each hop answers its caller from the caller's point of view (nse → forwarder → nsmgr → nsc).
  assert.equal(
    returned.map((c) => [c.path?.index, c.id]),
    [
      [2, segments[2]?.id],
      [1, segments[1]?.id],
      [0, segments[0]?.id],
    ],
  );
});

hops('a refresh with the returned connection keeps every id and the path length', async () => {
  const { nsc, log } = topology();
  const first = await nsc.request(NetworkServiceRequest.fromPartial({}), bg());
  log.length = 0;
  const second = await nsc.request(NetworkServiceRequest.fromPartial({ connection: first }), bg());
  assert.equal(second.path, first.path);
  assert.is(second.id, first.id);
  assert.equal(
    log.map((s) => [s.hop, s.index, s.id]),
    first.path?.pathSegments.map((s, i) => [s.name, i, s.id]),
  );
});

hops('Close travels the returned path; each hop closes its own id', async () => {
  const { nsc, log } = topology();
  const conn = await nsc.request(NetworkServiceRequest.fromPartial({}), bg());
  log.length = 0;
  await nsc.close(conn, bg());
  assert.equal(
    log.map((s) => [s.method, s.hop, s.index, s.id]),
    conn.path?.pathSegments.map((s, i) => ['close', s.name, i, s.id]),
  );
});

hops('a refresh through another forwarder renames its segment; the nse keeps its id', async () => {
  const { nsc, selected } = topology();
  const first = await nsc.request(NetworkServiceRequest.fromPartial({}), bg());
  selected.name = 'forwarder-2';
  const second = await nsc.request(NetworkServiceRequest.fromPartial({ connection: first }), bg());
  const [a, b] = [first.path?.pathSegments ?? [], second.path?.pathSegments ?? []];
  assert.equal(
    b.map((s) => s.name),
    ['nsc', 'nsmgr', 'forwarder-2', 'nse'],
  );
  assert.is(b[0]?.id, a[0]?.id);
  assert.is(b[1]?.id, a[1]?.id);
  assert.is.not(b[2]?.id, a[2]?.id, 'the diverged segment gets a new id');
  assert.is(b[3]?.id, a[3]?.id, 'the nse segment id stays');
  assert.is(second.id, first.id);
});

hops.run();
