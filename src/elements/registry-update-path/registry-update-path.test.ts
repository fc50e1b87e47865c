import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkService, NetworkServiceEndpoint } from '../../api/gen/registry.js';
import { rfc3339Nano, timestampFromMs } from '../../api/timestamp.js';
import {
  outgoingMetadataOf,
  receivedHeadersSink,
  responseHeadersOf,
  withIncomingCall,
} from '../../chain/call-metadata.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError } from '../../chain/errors.js';
import {
  nseRegistryHandler,
  nsRegistryHandler,
  type NseRegistryElement,
  type NseRegistryHandler,
} from '../../chain/registry.js';
import {
  decodePath,
  encodePath,
  ownTokenExpiryOf,
  pathNseClient,
  updatePathNseServer,
  updatePathNsServer,
  withRegistryPath,
  type RegistryPath,
} from './index.js';

const clientId = 'spiffe://test.com/client';
const proxyId = 'spiffe://test.com/proxy';
const serverId = 'spiffe://test.com/server';
const expiresAt = Date.UTC(2030, 0, 1);

/** An unsigned JWT with `sub`; the signature is never checked here. */
const jwt = (sub: string): string =>
  ['eyJhbGciOiJIUzI1NiJ9', Buffer.from(JSON.stringify({ sub, exp: 1 })).toString('base64url'), 'c2ln'].join(
    '.',
  );
const generator = (sub: string) => () => ({ token: jwt(sub), expiresAt });

/** A server call context from a caller presenting `token`, with the `path` header when given. */
function incoming(token: string | undefined, path?: string): CallContext {
  const headers: Record<string, string[]> = {};
  if (token !== undefined) {
    headers['nsm-client-token'] = [token];
    headers['nsm-client-token-expires'] = [rfc3339Nano(timestampFromMs(expiresAt))];
  }
  if (path !== undefined) headers['path'] = [path];
  return withIncomingCall(CallContext.background(), headers, { address: 'test' });
}

/** Simulates the wire: the caller's outgoing headers become the callee's incoming call, and back. */
function wire(server: NseRegistryHandler, callerToken: string): NseRegistryElement {
  return {
    name: 'wire',
    async register(entry, ctx) {
      const headers = { ...outgoingMetadataOf(ctx) };
      headers['nsm-client-token'] = [callerToken];
      headers['nsm-client-token-expires'] = [rfc3339Nano(timestampFromMs(expiresAt))];
      const serverCtx = withIncomingCall(CallContext.background(), headers, { address: 'wire' });
      const response = await server.register(entry, serverCtx);
      for (const [name, value] of responseHeadersOf(serverCtx)) receivedHeadersSink(ctx)?.set(name, value);
      return response;
    },
  };
}

const tokens = (path: RegistryPath): string[] => path.segments.map((s) => s.token);

const server = suite('registry-update-path: server');

server('an empty path becomes [caller, this hop] and is sent back with the caller index', async () => {
  const handler = nseRegistryHandler([updatePathNseServer({ tokenGenerator: generator(serverId) })]);
  const ctx = incoming(jwt(clientId));
  const registered = await handler.register(NetworkServiceEndpoint.fromPartial({ name: 'nse' }), ctx);
  assert.equal(registered.pathIds, [clientId, serverId]);
  const sent = responseHeadersOf(ctx).get('path');
  assert.is(sent, `{"Index":0,"PathSegments":[{"token":"${jwt(clientId)}"},{"token":"${jwt(serverId)}"}]}`);
});

server('two hops in one chain share the path; a refresh rewrites tokens and ids in place', async () => {
  // Between the two hops the caller becomes the proxy, as if the call had crossed the wire.
  const passOn: NseRegistryElement = {
    name: 'as-proxy',
    register: (entry, ctx, next) =>
      next.register(
        entry,
        withIncomingCall(
          ctx,
          {
            'nsm-client-token': [jwt(proxyId)],
            'nsm-client-token-expires': [rfc3339Nano(timestampFromMs(expiresAt))],
          },
          { address: 'proxy' },
        ),
      ),
  };
  const handler = nseRegistryHandler([
    updatePathNseServer({ tokenGenerator: generator(proxyId) }),
    passOn,
    updatePathNseServer({ tokenGenerator: generator(serverId) }),
  ]);
  const first = incoming(jwt(clientId));
  const registered = await handler.register(NetworkServiceEndpoint.fromPartial({ name: 'nse' }), first);
  assert.equal(registered.pathIds, [clientId, proxyId, serverId]);
  const path = decodePath(responseHeadersOf(first).get('path')!);
  assert.is(path.index, 0);
  assert.equal(tokens(path), [jwt(clientId), jwt(proxyId), jwt(serverId)]);

  const stale = encodePath({ index: 0, segments: [{ token: 't1' }, { token: 't2' }, { token: 't3' }] });
  const refresh = incoming(jwt(clientId), stale);
  const again = await handler.register(
    NetworkServiceEndpoint.fromPartial({ name: 'nse', pathIds: ['id1', 'id2', 'id3'] }),
    refresh,
  );
  assert.equal(again.pathIds, [clientId, proxyId, serverId]);
  assert.equal(tokens(decodePath(responseHeadersOf(refresh).get('path')!)), tokens(path));
});

server(
  'an index past the segments fails with REGISTRY_PATH_INVALID_INDEX; a bad header with REGISTRY_PATH_INVALID',
  async () => {
    const handler = nseRegistryHandler([updatePathNseServer({ tokenGenerator: generator(serverId) })]);
    const cases: [string, string][] = [
      ['{"Index":1,"PathSegments":[{"token":"token"}]}', 'REGISTRY_PATH_INVALID_INDEX'],
      ['{"Index":-1,"PathSegments":null}', 'REGISTRY_PATH_INVALID'],
      ['not json', 'REGISTRY_PATH_INVALID'],
      ['{"Index":0,"PathSegments":[null]}', 'REGISTRY_PATH_INVALID'],
    ];
    for (const [header, reason] of cases) {
      try {
        await handler.register(
          NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
          incoming(undefined, header),
        );
        assert.unreachable(`accepted ${header}`);
      } catch (error) {
        assert.ok(isStatusError(error));
        assert.is(error.code, Code.INVALID_ARGUMENT);
        assert.is(error.reason, reason, header);
      }
    }
  },
);

server(
  'no caller token leaves its id empty; non-JWT tokens give empty ids; own expiry reaches next',
  async () => {
    let seen: number | undefined;
    const handler = nseRegistryHandler([
      updatePathNseServer({ tokenGenerator: () => ({ token: 'opaque', expiresAt: 1234 }) }),
      { name: 'probe', register: (e, c, n) => ((seen = ownTokenExpiryOf(c)), n.register(e, c)) },
    ]);
    const registered = await handler.register(
      NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
      incoming(undefined),
    );
    assert.equal(registered.pathIds, ['', '']);
    assert.is(seen, 1234);
  },
);

server('Unregister updates the path too; NS registrations get path ids as well', async () => {
  const ctx = incoming(jwt(clientId));
  await nseRegistryHandler([updatePathNseServer({ tokenGenerator: generator(serverId) })]).unregister(
    NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
    ctx,
  );
  assert.is(decodePath(responseHeadersOf(ctx).get('path')!).segments.length, 2);
  const ns = await nsRegistryHandler([updatePathNsServer({ tokenGenerator: generator(serverId) })]).register(
    NetworkService.fromPartial({ name: 'svc' }),
    incoming(jwt(clientId)),
  );
  assert.equal(ns.pathIds, [clientId, serverId]);
});

server(
  'a token generator that throws fails with REGISTRY_UPDATE_PATH_TOKEN_FAILED; it is required',
  async () => {
    const handler = nseRegistryHandler([
      updatePathNseServer({
        tokenGenerator: () => {
          throw new Error('no svid');
        },
      }),
    ]);
    await handler.register(NetworkServiceEndpoint.fromPartial({ name: 'nse' }), incoming(undefined)).then(
      () => assert.unreachable('should fail'),
      (error: unknown) =>
        assert.is(isStatusError(error) && error.reason, 'REGISTRY_UPDATE_PATH_TOKEN_FAILED'),
    );
    assert.throws(
      () => updatePathNseServer({} as Parameters<typeof updatePathNseServer>[0]),
      (e: unknown) => e instanceof ConfigError,
    );
  },
);

server.run();

const client = suite('registry-update-path: client and JSON');

client('the JSON is byte-for-byte what Go encoding/json writes', () => {
  assert.is(encodePath({ index: 0, segments: [] }), '{"Index":0,"PathSegments":null}');
  assert.is(
    encodePath({ index: 1, segments: [{ token: 'a' }, { token: 'b' }] }),
    '{"Index":1,"PathSegments":[{"token":"a"},{"token":"b"}]}',
  );
  assert.is(
    encodePath({ index: 0, segments: [{ token: '<&>' }] }),
    '{"Index":0,"PathSegments":[{"token":"\\u003c\\u0026\\u003e"}]}',
  );
  assert.equal(decodePath('{"Index":0,"PathSegments":null}'), { index: 0, segments: [] });
  assert.equal(decodePath('{"index":2,"pathsegments":[{"Token":"x"},{}]}'), {
    index: 2,
    segments: [{ token: 'x' }, { token: '' }],
  });
});

client('the client sends the path and adopts the answer; a bad answer is ignored', async () => {
  const path: RegistryPath = { index: 0, segments: [] };
  let sent: readonly string[] | undefined;
  let answer = '{"Index":0,"PathSegments":[{"token":"a"},{"token":"b"}]}';
  const handler = nseRegistryHandler([
    pathNseClient(),
    {
      name: 'peer',
      register: async (entry, ctx) => {
        sent = outgoingMetadataOf(ctx)['path'];
        receivedHeadersSink(ctx)?.set('path', answer);
        return entry;
      },
    },
  ]);
  await handler.register(
    NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
    withRegistryPath(CallContext.background(), path),
  );
  assert.equal(sent, ['{"Index":0,"PathSegments":null}']);
  assert.equal(tokens(path), ['a', 'b']);
  answer = 'garbage';
  await handler.register(
    NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
    withRegistryPath(CallContext.background(), path),
  );
  assert.equal(sent, ['{"Index":0,"PathSegments":[{"token":"a"},{"token":"b"}]}']);
  assert.equal(tokens(path), ['a', 'b']);
});

client('NSE → nsmgr → registry: every hop lands on the path and in pathIds', async () => {
  let stored: NetworkServiceEndpoint | undefined;
  const registry = nseRegistryHandler([
    updatePathNseServer({ tokenGenerator: generator(serverId) }),
    { name: 'store', register: async (entry) => (stored = entry) },
  ]);
  const toRegistry = nseRegistryHandler([pathNseClient(), wire(registry, jwt(proxyId))]);
  const nsmgr = nseRegistryHandler([
    updatePathNseServer({ tokenGenerator: generator(proxyId) }),
    { name: 'connect', register: (entry, ctx) => toRegistry.register(entry, ctx) },
  ]);
  const nsePath: RegistryPath = { index: 0, segments: [] };
  const nse = nseRegistryHandler([pathNseClient(), wire(nsmgr, jwt(clientId))]);
  await nse.register(
    NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
    withRegistryPath(CallContext.background(), nsePath),
  );
  assert.equal(stored?.pathIds, [clientId, proxyId, serverId]);
  assert.is(nsePath.index, 0);
  assert.equal(tokens(nsePath), [jwt(clientId), jwt(proxyId), jwt(serverId)]);
});

client.run();
