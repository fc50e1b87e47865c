import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { Connection, ConnectionEvent, MonitorScopeSelector } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import {
  NetworkService,
  NetworkServiceEndpoint,
  NetworkServiceEndpointQuery,
  NetworkServiceQuery,
} from '../../api/gen/registry.js';
import { parseRfc3339 } from '../../api/timestamp.js';
import { outgoingMetadataOf, withOutgoingHeaders, type CallMetadata } from '../../chain/call-metadata.js';
import { clockOf, withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, ConfigError, isStatusError, StatusError } from '../../chain/errors.js';
import type { Dialer, PeerConnection } from '../../chain/peer.js';
import type { TokenGenerator } from '../../chain/token.js';
import { manualClock } from '../../testing/index.js';
import { tokenDialer, withClientToken } from './index.js';

const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0, 250));
const ctx = (): CallContext => withClock(CallContext.background(), clock);

/** Tokens `t1`, `t2`, ... valid for 90 s on the call context's clock. */
function counting(): TokenGenerator {
  let n = 0;
  return (c) => ({ token: `t${++n}`, expiresAt: clockOf(c).now() + 90_000 });
}

/** A Dialer whose peer records the outgoing headers of every call, by method. */
function recordingDialer(): { dialer: Dialer; seen: [string, CallMetadata][]; closed: string[] } {
  const seen: [string, CallMetadata][] = [];
  const closed: string[] = [];
  const note = (method: string, c: CallContext): void => void seen.push([method, outgoingMetadataOf(c)]);
  const registry = <TEntry, TResponse>(kind: string, response: TResponse) => ({
    register: async (entry: TEntry, c: CallContext) => (note(`${kind}.register`, c), entry),
    find: (_q: unknown, c: CallContext) => (note(`${kind}.find`, c), of(response)),
    unregister: async (_e: TEntry, c: CallContext) => void note(`${kind}.unregister`, c),
  });
  const dialer: Dialer = (url): PeerConnection => ({
    url,
    networkService: {
      request: async (r, c) => (note('request', c), r.connection ?? Connection.create()),
      close: async (_conn, c) => void note('close', c),
    },
    monitorConnection: {
      monitorConnections: (_s, c) => (note('monitor', c), of(ConnectionEvent.fromPartial({}))),
    },
    nsRegistry: registry('ns', {
      networkService: NetworkService.fromPartial({ name: 'ns' }),
      deleted: false,
    }),
    nseRegistry: registry('nse', {
      networkServiceEndpoint: NetworkServiceEndpoint.fromPartial({ name: 'nse' }),
      deleted: false,
    }),
    close: () => void closed.push(url),
  });
  return { dialer, seen, closed };
}

const wrapping = suite('token-dialer: every call carries a token');

wrapping('all nine methods send exactly one token and one RFC 3339 expiry, issued per call', async () => {
  const { dialer, seen, closed } = recordingDialer();
  const peer = tokenDialer(dialer, counting())('tcp://10.0.0.1:5001');
  assert.is(peer.url, 'tcp://10.0.0.1:5001');
  await peer.networkService.request(NetworkServiceRequest.fromPartial({}), ctx());
  await peer.networkService.close(Connection.fromPartial({}), ctx());
  await firstValueFrom(
    peer.monitorConnection.monitorConnections(MonitorScopeSelector.fromPartial({}), ctx()),
  );
  await peer.nsRegistry.register(NetworkService.fromPartial({}), ctx());
  await lastValueFrom(peer.nsRegistry.find(NetworkServiceQuery.fromPartial({}), ctx()));
  await peer.nsRegistry.unregister(NetworkService.fromPartial({}), ctx());
  await peer.nseRegistry.register(NetworkServiceEndpoint.fromPartial({}), ctx());
  await lastValueFrom(
    peer.nseRegistry.find(NetworkServiceEndpointQuery.fromPartial({}), ctx()).pipe(toArray()),
  );
  await peer.nseRegistry.unregister(NetworkServiceEndpoint.fromPartial({}), ctx());
  peer.close();
  assert.equal(closed, ['tcp://10.0.0.1:5001']);
  assert.equal(
    seen.map(([method]) => method),
    [
      'request',
      'close',
      'monitor',
      'ns.register',
      'ns.find',
      'ns.unregister',
      'nse.register',
      'nse.find',
      'nse.unregister',
    ],
  );
  seen.forEach(([method, headers], i) => {
    assert.equal(headers['nsm-client-token'], [`t${i + 1}`], method);
    assert.equal(headers['nsm-client-token-expires'], ['2026-01-01T00:01:30.25Z'], method);
  });
});

wrapping('withClientToken keeps other headers, replaces an earlier token and keeps nanoseconds', () => {
  const gen: TokenGenerator = () => ({ token: 'fresh', expiresAt: Date.UTC(2026, 0, 1) + 1.5 });
  const before = withOutgoingHeaders(ctx(), { 'x-other': 'kept', 'nsm-client-token': 'stale' });
  const headers = outgoingMetadataOf(withClientToken(before, gen));
  assert.equal(headers['x-other'], ['kept']);
  assert.equal(headers['nsm-client-token'], ['fresh']);
  assert.equal(headers['nsm-client-token-expires'], ['2026-01-01T00:00:00.0015Z']);
  assert.equal(parseRfc3339('2026-01-01T00:00:00.0015Z'), {
    seconds: Date.UTC(2026, 0, 1) / 1000,
    nanos: 1_500_000,
  });
});

wrapping('streams get their token when subscribed, not when created', async () => {
  const { dialer, seen } = recordingDialer();
  const peer = tokenDialer(dialer, counting())('x');
  const stream = peer.nsRegistry.find(NetworkServiceQuery.fromPartial({}), ctx());
  await peer.networkService.request(NetworkServiceRequest.fromPartial({}), ctx());
  await lastValueFrom(stream);
  assert.equal(
    seen.map(([m, h]) => [m, h['nsm-client-token']]),
    [
      ['request', ['t1']],
      ['ns.find', ['t2']],
    ],
  );
});

wrapping.run();

// ---------------------------------------------------------------------------------------------------------
const failures = suite('token-dialer: failures');

failures(
  'a failing generator: UNAUTHENTICATED TOKENDIALER_GENERATE_FAILED and no call; streams error',
  async () => {
    const { dialer, seen } = recordingDialer();
    const cause = new Error('no svid');
    const peer = tokenDialer(dialer, () => {
      throw cause;
    })('x');
    const check = (error: unknown): void => {
      assert.ok(isStatusError(error));
      if (!isStatusError(error)) return;
      assert.is(error.code, Code.UNAUTHENTICATED);
      assert.is(error.reason, 'TOKENDIALER_GENERATE_FAILED');
      assert.is(error.cause, cause);
    };
    for (const call of [
      () => peer.networkService.request(NetworkServiceRequest.fromPartial({}), ctx()),
      () => peer.networkService.close(Connection.fromPartial({}), ctx()),
      () => peer.nseRegistry.register(NetworkServiceEndpoint.fromPartial({}), ctx()),
      () => firstValueFrom(peer.nseRegistry.find(NetworkServiceEndpointQuery.fromPartial({}), ctx())),
      () =>
        firstValueFrom(
          peer.monitorConnection.monitorConnections(MonitorScopeSelector.fromPartial({}), ctx()),
        ),
    ]) {
      try {
        await call();
        assert.unreachable();
      } catch (error) {
        check(error);
      }
    }
    assert.equal(seen, []);
    const status = new StatusError(Code.UNAVAILABLE, 'svid not ready');
    const refusing = tokenDialer(dialer, () => {
      throw status;
    })('x');
    try {
      await refusing.nsRegistry.unregister(NetworkService.fromPartial({}), ctx());
      assert.unreachable();
    } catch (error) {
      assert.is(error, status);
    }
  },
);

failures('missing dialer or generator is a ConfigError', () => {
  const { dialer } = recordingDialer();
  assert.throws(
    () => tokenDialer(undefined as unknown as Dialer, counting()),
    (e: unknown) => e instanceof ConfigError,
  );
  assert.throws(
    () => tokenDialer(dialer, null as unknown as TokenGenerator),
    (e: unknown) => e instanceof ConfigError,
  );
});

failures.run();
