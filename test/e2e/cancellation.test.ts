/**
 * Cancellation and deadlines across the wire, unary calls (streams are covered in monitor and registry tests):
 * the client deadline reaches the server ctx, a client abort rejects the client with its reason and aborts the
 * server ctx, and a server that never answers is cut off by the deadline on both sides.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dial, type NsmConnection } from '../../src/api/client.js';
import { networkServiceClient } from '../../src/api/clients.js';
import type { Connection } from '../../src/api/gen/connection.js';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import { serve, type NsmServer } from '../../src/api/server.js';
import { withCancel } from '../../src/chain/cancel.js';
import { CallContext } from '../../src/chain/context.js';
import { Code, isStatusError } from '../../src/chain/errors.js';
import { networkServiceHandler, type NetworkServiceHandler } from '../../src/chain/network-service.js';
import { beginServer } from '../../src/elements/begin/index.js';
import {
  aborted,
  deferred,
  leakTracker,
  Listen,
  noHang,
  rejection,
  transports,
} from './helpers/transports.js';

type Behaviour = (
  request: NetworkServiceRequest,
  ctx: CallContext,
  next: NetworkServiceHandler,
) => Promise<Connection>;

const bg = (): CallContext => CallContext.background();
const leaks = leakTracker();
const isAbort = (e: unknown, name: 'AbortError' | 'TimeoutError'): boolean =>
  e instanceof DOMException && e.name === name;

for (const kind of transports) {
  const listen = new Listen(kind);
  let server: NsmServer | undefined;
  let conn: NsmConnection | undefined;
  let ns: NetworkServiceHandler;
  let behaviour: Behaviour | undefined;
  let n = 0;
  const request = (): NetworkServiceRequest =>
    NetworkServiceRequest.fromPartial({ connection: { id: `${kind}-c-${++n}`, networkService: 'svc' } });
  /** Resolves with the server-side ctx once the server element is entered. */
  const enter = (): { entered: Promise<CallContext> } => {
    const { promise, resolve } = deferred<CallContext>();
    const inner = behaviour;
    behaviour = (req, ctx, next) => {
      resolve(ctx);
      return inner ? inner(req, ctx, next) : next.request(req, ctx);
    };
    return { entered: promise };
  };

  const s = suite(`e2e ${kind}: cancellation and deadlines`);
  s.before(async () => {
    leaks.snapshot();
    server = await serve(listen.url(), {
      networkService: networkServiceHandler([
        beginServer(),
        {
          name: 'script',
          request: (req, ctx, next) => (behaviour ? behaviour(req, ctx, next) : next.request(req, ctx)),
        },
      ]),
    });
    conn = dial(server.url);
    ns = networkServiceClient(conn);
  });
  s.after(async () => {
    conn?.close();
    await server?.close(100);
    listen.cleanup();
  });
  s.before.each(() => {
    behaviour = undefined;
  });

  s('no client deadline: the server ctx has none', async () => {
    const { entered } = enter();
    const got = await ns.request(request(), bg());
    const serverCtx = await entered;
    assert.is(serverCtx.deadline, undefined);
    await ns.close(got, bg());
  });

  s('the client deadline reaches the server ctx, in the future', async () => {
    const { entered } = enter();
    const scope = withCancel(bg(), 30_000);
    try {
      const clientDeadline = scope.ctx.deadline;
      assert.ok(clientDeadline !== undefined);
      const got = await ns.request(request(), scope.ctx);
      const serverCtx = await entered;
      assert.ok(serverCtx.deadline !== undefined, 'server ctx has a deadline');
      // Loose sanity only: the deadline is in the future and not later than the client's (plus slack).
      assert.ok(serverCtx.deadline > Date.now(), 'server deadline is in the future');
      assert.ok(
        serverCtx.deadline <= clientDeadline + 1_000,
        'server deadline is not later than the client one',
      );
      assert.not.ok(serverCtx.signal.aborted);
      await ns.close(got, bg());
    } finally {
      scope.cancel();
    }
  });

  s(
    'aborting the client ctx rejects the client with the abort reason and aborts the server ctx',
    async () => {
      behaviour = async (_req, ctx) => {
        await aborted(ctx.signal);
        throw ctx.signal.reason;
      };
      const { entered } = enter();
      const scope = withCancel(bg());
      const pending = ns.request(request(), scope.ctx);
      const serverCtx = await noHang(entered, 'server entered');
      assert.not.ok(serverCtx.signal.aborted);
      scope.cancel();
      const error = await rejection(pending, 'cancelled request');
      assert.ok(isAbort(error, 'AbortError'), `expected AbortError, got ${String(error)}`);
      assert.is(error, scope.ctx.signal.reason, 'rejects with the very abort reason');
      const serverReason = await noHang(aborted(serverCtx.signal), 'server ctx abort');
      assert.ok(serverReason instanceof DOMException, String(serverReason));
    },
  );

  s('an explicit abort reason is what the client rejects with', async () => {
    behaviour = async (_req, ctx) => {
      await aborted(ctx.signal);
      throw ctx.signal.reason;
    };
    const { entered } = enter();
    const scope = withCancel(bg());
    const pending = ns.request(request(), scope.ctx);
    const serverCtx = await noHang(entered, 'server entered');
    const reason = new Error('caller gave up');
    scope.cancel(reason);
    assert.is(await rejection(pending), reason);
    await noHang(aborted(serverCtx.signal), 'server ctx abort');
  });

  s('an already-aborted ctx rejects at once without reaching the server', async () => {
    const { entered } = enter();
    let reached = false;
    void entered.then(() => (reached = true));
    const scope = withCancel(bg());
    scope.cancel();
    const error = await rejection(ns.request(request(), scope.ctx));
    assert.ok(isAbort(error, 'AbortError'), String(error));
    // A follow-up call proves the channel is fine and lets any stray delivery happen first.
    behaviour = undefined;
    const got = await ns.request(request(), bg());
    await ns.close(got, bg());
    assert.not.ok(reached, 'the aborted call never reached the server');
  });

  s('server never answers + client timeout: the client rejects and the server ctx aborts', async () => {
    behaviour = () => new Promise<Connection>(() => undefined);
    const { entered } = enter();
    const scope = withCancel(bg(), 300);
    try {
      const error = await rejection(ns.request(request(), scope.ctx), 'request to a silent server');
      // Two timers race: the ctx timer (TimeoutError, the abort reason) and the wire deadline
      // (DEADLINE_EXCEEDED). Either is correct; nothing else is.
      const timeout = isAbort(error, 'TimeoutError');
      const deadline = isStatusError(error) && error.code === Code.DEADLINE_EXCEEDED;
      assert.ok(timeout || deadline, `expected TimeoutError or DEADLINE_EXCEEDED, got ${String(error)}`);
      if (timeout) assert.is(error, scope.ctx.signal.reason);
      const serverCtx = await noHang(entered, 'server entered');
      await noHang(aborted(serverCtx.signal), 'server ctx abort');
    } finally {
      scope.cancel();
    }
  });

  s('server never answers + a bare wire deadline (no ctx timer): DEADLINE_EXCEEDED', async () => {
    behaviour = () => new Promise<Connection>(() => undefined);
    const { entered } = enter();
    const ctx = CallContext.of({ deadline: Date.now() + 300 });
    const error = await rejection(ns.request(request(), ctx), 'request to a silent server');
    assert.ok(isStatusError(error), String(error));
    assert.is(error.code, Code.DEADLINE_EXCEEDED);
    const serverCtx = await noHang(entered, 'server entered');
    const reason = await noHang(aborted(serverCtx.signal), 'server ctx abort');
    assert.ok(reason instanceof DOMException, String(reason));
  });

  s(
    'closing a server cancels its calls in flight: the server ctx aborts and the client rejects',
    async () => {
      const other = await serve(listen.url(), {
        networkService: networkServiceHandler([
          {
            name: 'wait',
            request: async (_req, ctx) => {
              entered.resolve(ctx);
              await aborted(ctx.signal);
              throw ctx.signal.reason;
            },
          },
        ]),
      });
      const entered = deferred<CallContext>();
      const c = dial(other.url);
      try {
        const pending = networkServiceClient(c).request(request(), bg());
        const serverCtx = await noHang(entered.promise, 'server entered');
        const closing = other.close(50);
        await noHang(aborted(serverCtx.signal), 'server ctx abort');
        const error = await rejection(pending, 'request to a closing server');
        assert.ok(isStatusError(error), String(error));
        await noHang(closing, 'server close');
      } finally {
        c.close();
      }
    },
  );

  s('the server keeps working after cancelled and expired calls', async () => {
    const got = await ns.request(request(), bg());
    await ns.close(got, bg());
  });

  s.run();
}

const leakCheck = suite('e2e cancellation: leaks');
leakCheck('no servers, sockets or timers left behind', () => leaks.check());
leakCheck.run();
