import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, of, toArray } from 'rxjs';
import { ConnectionEventType, MonitorScopeSelector } from '../../api/gen/connection.js';
import { withIncomingCall } from '../../chain/call-metadata.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError, isStatusError } from '../../chain/errors.js';
import { monitorHandler } from '../../chain/monitor.js';
import { clientTokenHeader } from '../../chain/token.js';
import { signJwt } from '../token-jwt/index.js';
import { authorizeMonitor, ownsConnectionPolicy } from './index.js';

const tail = {
  monitorConnections: () => of({ type: ConnectionEventType.INITIAL_STATE_TRANSFER, connections: {} }),
};
const selector = (id: string): MonitorScopeSelector =>
  MonitorScopeSelector.fromPartial({ pathSegments: [{ id, name: 'nsc' }] });
const callerCtx = (sub: string): CallContext =>
  withIncomingCall(
    CallContext.background(),
    { [clientTokenHeader]: [signJwt({ sub, exp: 9e9 }, 'secret')] },
    { address: 'test' },
  );

const monitor = suite('authorize-monitor');

monitor('with no policies every stream opens (Go Any)', async () => {
  const handler = monitorHandler([authorizeMonitor()], tail);
  const events = await firstValueFrom(
    handler.monitorConnections(selector('c1'), CallContext.background()).pipe(toArray()),
  );
  assert.is(events.length, 1);
});

monitor('the owner of a connection may monitor it; anyone else is refused with a reason', async () => {
  const owners = new Map([['spiffe://test.com/nsc', new Set(['c1'])]]);
  const handler = monitorHandler(
    [authorizeMonitor({ policies: [ownsConnectionPolicy()], connectionsBySpiffeId: owners })],
    tail,
  );
  const ok = await firstValueFrom(
    handler.monitorConnections(selector('c1'), callerCtx('spiffe://test.com/nsc')),
  );
  assert.is(ok.type, ConnectionEventType.INITIAL_STATE_TRANSFER);
  const refused = await firstValueFrom(
    handler.monitorConnections(selector('c1'), callerCtx('spiffe://test.com/other')),
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(isStatusError(refused));
  assert.is(refused.reason, 'AUTHORIZE_MONITOR_NOT_OWNER');
  const anonymous = await firstValueFrom(
    handler.monitorConnections(selector('c1'), CallContext.background()),
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(isStatusError(anonymous));
});

monitor('a policy without check is a ConfigError', () => {
  assert.throws(
    () => authorizeMonitor({ policies: [{ name: 'broken' } as never] }),
    (error: unknown) => error instanceof ConfigError,
  );
});

monitor.run();
