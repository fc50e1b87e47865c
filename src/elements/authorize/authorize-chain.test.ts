/**
 * Four hops in process (nsc → nsmgr → forwarder → nse) with the security elements of Go's chains: updatepath,
 * updatetoken, authorize with all shipped policies, trimpath, and clients sending their token per call
 * through `tokenDialer`. The wire is simulated: messages are copied and the client's outgoing headers become
 * the server's incoming headers, with a peer, as the gRPC edge does.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { outgoingMetadataOf, withIncomingCall } from '../../chain/call-metadata.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceHandler } from '../../chain/network-service.js';
import type { Dialer } from '../../chain/peer.js';
import type { TokenGenerator } from '../../chain/token.js';
import { manualClock, type ManualClock } from '../../testing/index.js';
import { metadata } from '../metadata/index.js';
import { tokenDialer } from '../token-dialer/index.js';
import { decodeJwt, jwtTokenGenerator } from '../token-jwt/index.js';
import { trimPathClient, trimPathServer } from '../trim-path/index.js';
import { updatePathClient, updatePathServer } from '../update-path/index.js';
import { updateTokenServer } from '../update-token/index.js';
import {
  authorizeClient,
  authorizeServer,
  pathConsistencyPolicy,
  tokensChainedPolicy,
  tokensExpiredPolicy,
  type AuthorizeServer,
} from './index.js';

const policies = () => [tokensExpiredPolicy(), tokensChainedPolicy(), pathConsistencyPolicy()];
const id = (hop: string): string => `spiffe://test.com/${hop}`;
/** Each hop's tokens name the next hop as audience, so the chain of tokens links up. */
const generatorOf = (hop: string, next?: string): TokenGenerator =>
  jwtTokenGenerator({ spiffeId: id(hop), lifetimeMs: 600_000, ...(next ? { audience: id(next) } : {}) });

/** Routes URLs to in-process servers, turning outgoing headers into incoming ones. */
function memoryDialer(servers: Map<string, NetworkServiceHandler>, clock: ManualClock): Dialer {
  return (url) => {
    const server = (): NetworkServiceHandler => servers.get(url)!;
    const serverCtx = (client: CallContext): CallContext =>
      withIncomingCall(withClock(CallContext.background(), clock), outgoingMetadataOf(client), {
        address: `memory:${url}`,
      });
    return {
      url,
      networkService: {
        request: async (r, ctx) => cloneMessage(await server().request(cloneMessage(r), serverCtx(ctx))),
        close: (c, ctx) => server().close(cloneMessage(c), serverCtx(ctx)),
      },
      monitorConnection: undefined as never,
      nsRegistry: undefined as never,
      nseRegistry: undefined as never,
      close: () => undefined,
    };
  };
}

function topology() {
  const clock = manualClock(Date.UTC(2026, 0, 1));
  const ctx = (): CallContext => withClock(CallContext.background(), clock);
  const servers = new Map<string, NetworkServiceHandler>();
  const dialer = memoryDialer(servers, clock);
  const authz = new Map<string, AuthorizeServer>();
  const hop = (name: string, next?: string): NetworkServiceHandler => {
    const generator = generatorOf(name, next);
    const auth = authorizeServer({ policies: policies() });
    authz.set(name, auth);
    const server = [updatePathServer(name), updateTokenServer(generator), auth, metadata(), trimPathServer()];
    if (next === undefined) return networkServiceHandler(server);
    const client = [updatePathClient(name), authorizeClient({ policies: policies() }), trimPathClient()];
    return networkServiceHandler([...server, ...client], tokenDialer(dialer, generator)(next).networkService);
  };
  servers.set('nse', hop('nse'));
  servers.set('forwarder', hop('forwarder', 'nse'));
  servers.set('nsmgr', hop('nsmgr', 'forwarder'));
  const nscClient = (withToken: boolean): NetworkServiceHandler => {
    const generator = generatorOf('nsc', 'nsmgr');
    const wire = withToken ? tokenDialer(dialer, generator)('nsmgr') : dialer('nsmgr');
    return networkServiceHandler(
      [updatePathClient('nsc'), metadata(), authorizeClient({ policies: policies() }), trimPathClient()],
      wire.networkService,
    );
  };
  return { nsc: nscClient(true), nscWithoutToken: nscClient(false), authz, clock, ctx };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a rejection');
  return undefined;
}

function assertExpired(error: unknown, segment: string): void {
  assert.ok(isStatusError(error), String(error));
  if (!isStatusError(error)) return;
  assert.is(error.code, Code.PERMISSION_DENIED);
  assert.is(error.reason, 'AUTHORIZE_TOKENS_EXPIRED');
  assert.ok(error.message.includes(segment), error.message);
}

const secured = suite('authorize: four hops with tokens and every shipped policy');

secured('a Request passes every policy; tokens chain nsc → nsmgr → forwarder → nse', async () => {
  const { nsc, authz, ctx } = topology();
  const conn = await nsc.request(
    NetworkServiceRequest.fromPartial({ connection: { networkService: 'ns' } }),
    ctx(),
  );
  const segments = conn.path?.pathSegments ?? [];
  assert.equal(
    segments.map((s) => decodeJwt(s.token)?.sub),
    ['nsc', 'nsmgr', 'forwarder', 'nse'].map(id),
  );
  assert.is(conn.path?.index, 0);
  assert.equal(Object.fromEntries([...authz].map(([hop, a]) => [hop, [...a.connectionsBySpiffeId.keys()]])), {
    nse: [id('forwarder')],
    forwarder: [id('nsmgr')],
    nsmgr: [id('nsc')],
  });
  assert.equal([...(authz.get('nsmgr')?.connectionsBySpiffeId.get(id('nsc')) ?? [])], [segments[0]?.id]);
  await nsc.close(conn, ctx());
  assert.equal(
    [...authz.values()].map((a) => a.connectionsBySpiffeId.size),
    [0, 0, 0],
  );
});

secured('refreshes keep passing as time goes by, since every call presents a fresh token', async () => {
  const { nsc, clock, ctx } = topology();
  let conn = await nsc.request(NetworkServiceRequest.fromPartial({}), ctx());
  for (let i = 0; i < 3; i++) {
    clock.advance(500_000);
    conn = await nsc.request(NetworkServiceRequest.fromPartial({ connection: conn }), ctx());
  }
  assert.is(conn.path?.pathSegments.length, 4);
  await nsc.close(conn, ctx());
});

secured(
  'a client that presents no token keeps its old one in the path, refused once it expires',
  async () => {
    const { nsc, nscWithoutToken, authz, clock, ctx } = topology();
    const conn = await nsc.request(NetworkServiceRequest.fromPartial({}), ctx());
    await nscWithoutToken.request(NetworkServiceRequest.fromPartial({ connection: conn }), ctx());
    clock.advance(600_000);
    const refused = await rejection(
      nscWithoutToken.request(NetworkServiceRequest.fromPartial({ connection: conn }), ctx()),
    );
    assertExpired(refused, 'segment 0 (nsc)');
    assert.is(authz.get('nsmgr')?.connectionsBySpiffeId.size, 1, 'the established connection stays recorded');
    // As in Go, the client checks Close too: a path whose tokens expired is refused before it is sent.
    assertExpired(await rejection(nsc.close(conn, ctx())), 'segment 0 (nsc)');
    assert.is(authz.get('nsmgr')?.connectionsBySpiffeId.size, 1);
  },
);

secured.run();
