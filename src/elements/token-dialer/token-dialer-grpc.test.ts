/**
 * Over a real gRPC connection on 127.0.0.1: the token a `tokenDialer` client sends arrives where
 * `updateTokenServer` reads it, so it lands in the caller's path segment with its expiry.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from '../../api/gen/connection.js';
import type { Timestamp } from '../../api/gen/google/protobuf/timestamp.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { grpcDialer } from '../../api/peer.js';
import { serve, type NsmServer } from '../../api/server.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { networkServiceHandler } from '../../chain/network-service.js';
import type { PeerConnection } from '../../chain/peer.js';
import { checkRequest, manualClock } from '../../testing/index.js';
import { decodeJwt, jwtTokenGenerator } from '../token-jwt/index.js';
import { updatePathClient, updatePathServer } from '../update-path/index.js';
import { updateTokenServer } from '../update-token/index.js';
import { tokenDialer } from './index.js';

const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0, 123));
const grpc = suite('token-dialer: over gRPC into update-token');
let server: NsmServer | undefined;
let peer: PeerConnection | undefined;
const seenByNse: Connection[] = [];
/** A decoded Timestamp without the decoder's `_unknownFields`. */
const plain = (t: Timestamp | undefined) => (t === undefined ? t : { seconds: t.seconds, nanos: t.nanos });

grpc.before(async () => {
  const nse = networkServiceHandler([
    updatePathServer('nse'),
    updateTokenServer(jwtTokenGenerator({ spiffeId: 'spiffe://test.com/nse' })),
    checkRequest((r) => void seenByNse.push(r.connection!)),
  ]);
  server = await serve(
    'tcp://127.0.0.1:0',
    { networkService: nse },
    {
      baseContext: withClock(CallContext.background(), clock),
    },
  );
  peer = tokenDialer(
    grpcDialer(),
    jwtTokenGenerator({ spiffeId: 'spiffe://test.com/nsc', lifetimeMs: 60_000 }),
  )(server.url);
});

grpc.after(async () => {
  peer?.close();
  await server?.close();
});

grpc('the client token and expiry reach the previous segment; the nse issues its own', async () => {
  const nsc = networkServiceHandler([updatePathClient('nsc')], peer!.networkService);
  const conn = await nsc.request(
    NetworkServiceRequest.fromPartial({ connection: { networkService: 'ns' } }),
    withClock(CallContext.background(), clock),
  );
  const [mine, theirs] = conn.path?.pathSegments ?? [];
  assert.is(conn.path?.index, 0);
  assert.is(decodeJwt(mine?.token ?? '')?.sub, 'spiffe://test.com/nsc');
  assert.equal(plain(mine?.expires), timestampFromMs(clock.now() + 60_000));
  assert.is(decodeJwt(theirs?.token ?? '')?.sub, 'spiffe://test.com/nse');
  assert.equal(plain(theirs?.expires), timestampFromMs(clock.now() + 3_600_000));
  assert.is(seenByNse.length, 1);
  assert.is(seenByNse[0]?.path?.pathSegments[0]?.token, mine?.token);
});

grpc.run();
