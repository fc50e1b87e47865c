import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { grpcDialer } from '../../src/api/peer.js';
import { serve } from '../../src/api/server.js';
import { CallContext } from '../../src/chain/context.js';
import { Code, isStatusError } from '../../src/chain/errors.js';
import { networkServiceHandler } from '../../src/chain/network-service.js';
import { count } from '../../src/testing/index.js';

const dialer = suite('grpcDialer: shared channels');
const request = NetworkServiceRequest.fromPartial({ connection: { id: 'c1' } });
const bg = (): CallContext => CallContext.background();

dialer(
  'connections to one URL share a channel; a peer restart is reached again after UNAVAILABLE',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsm-dialer-'));
    const url = `unix://${join(dir, 'peer.sock')}`;
    const counter = count();
    let server = await serve(url, { networkService: networkServiceHandler([counter]) });
    const dial = grpcDialer();
    try {
      const a = dial(url);
      const b = dial(url);
      await a.networkService.request(request, bg());
      await b.networkService.request(request, bg());
      assert.is(counter.requests, 2);
      a.close();
      a.close(); // idempotent
      await server.close(0);
      const failure = await b.networkService.request(request, bg()).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(
        isStatusError(failure) && failure.code === Code.UNAVAILABLE,
        'a dead peer answers UNAVAILABLE',
      );
      b.close();
      server = await serve(url, { networkService: networkServiceHandler([counter]) });
      const c = dial(url);
      await c.networkService.request(request, bg());
      assert.is(counter.requests, 3, 'a fresh channel reaches the restarted peer at once');
      c.close();
    } finally {
      dial.closeAll();
      await server.close(0);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

dialer.run();
