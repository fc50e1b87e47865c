import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection, Mechanism, State } from '../../api/gen/connection.js';
import { ConnectionContext } from '../../api/gen/connectioncontext.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import {
  beginClient,
  beginServer,
  defaultReselect,
  eventFactoryOf,
  reselectSameEndpoint,
  type EventFactory,
} from './index.js';

const bg = (): CallContext => CallContext.background();

function capture(): NetworkServiceElement & { factory(): EventFactory } {
  let factory: EventFactory | undefined;
  return {
    name: 'capture',
    factory() {
      if (factory === undefined) throw new Error('no event factory captured');
      return factory;
    },
    request(request, ctx, next) {
      factory = eventFactoryOf(ctx) ?? factory;
      return next.request(request, ctx);
    },
  };
}

/**
 * An endpoint that picks `nse-1` when no NSE is asked for, a kernel mechanism when none is set, and applies
 * `override` (once) to the connection it returns: what a heal or refresh changing the path looks like.
 */
function endpoint(): NetworkServiceElement & {
  override: ((connection: Connection) => Connection) | undefined;
  readonly log: string[];
  readonly requests: NetworkServiceRequest[];
  readonly closes: Connection[];
} {
  const element = {
    name: 'endpoint',
    override: undefined as ((connection: Connection) => Connection) | undefined,
    log: [] as string[],
    requests: [] as NetworkServiceRequest[],
    closes: [] as Connection[],
    request(request: NetworkServiceRequest): Promise<Connection> {
      element.requests.push(structuredClone(request));
      const asked = request.connection ?? Connection.create();
      element.log.push(`request ${asked.networkServiceEndpointName || '-'}`);
      let connection: Connection = {
        ...asked,
        networkServiceEndpointName: asked.networkServiceEndpointName || 'nse-1',
        mechanism: asked.mechanism ?? Mechanism.fromPartial({ cls: 'LOCAL', type: 'KERNEL' }),
      };
      if (element.override !== undefined) {
        connection = element.override(connection);
        element.override = undefined;
      }
      return Promise.resolve(connection);
    },
    close(connection: Connection): Promise<void> {
      element.closes.push(structuredClone(connection));
      element.log.push(`close ${connection.networkServiceEndpointName || '-'}`);
      return Promise.resolve();
    },
  };
  return element;
}

const request = (connection: Partial<Connection>): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({ connection: { id: 'c1', ...connection } });

// ---------------------------------------------------------------------------------------------------------
const merge = suite('begin client: three-way merge');

merge('a re-request with the old returned connection goes out with the event-changed values', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([beginClient(), cap, end]);
  const returned = await handler.request(request({}), bg());
  assert.is(returned.networkServiceEndpointName, 'nse-1');

  end.override = (c) => ({ ...c, networkServiceEndpointName: 'nse-healed' });
  assert.equal(await cap.factory().request(), { status: 'done' });

  const again = await handler.request(NetworkServiceRequest.fromPartial({ connection: returned }), bg());
  assert.is(end.requests.at(-1)?.connection?.networkServiceEndpointName, 'nse-healed');
  assert.is(again.networkServiceEndpointName, 'nse-healed');
});

merge('a caller change of the NSE name relative to what it was given is applied', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([beginClient(), cap, end]);
  const returned = await handler.request(request({}), bg());
  end.override = (c) => ({ ...c, networkServiceEndpointName: 'nse-healed' });
  await cap.factory().request();
  await handler.request(
    NetworkServiceRequest.fromPartial({
      connection: { ...returned, networkServiceEndpointName: 'nse-chosen' },
    }),
    bg(),
  );
  assert.is(end.requests.at(-1)?.connection?.networkServiceEndpointName, 'nse-chosen');
});

merge('extra context: caller-changed keys applied, removed keys removed, event-added keys kept', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([beginClient(), cap, end]);
  const returned = await handler.request(
    request({ context: ConnectionContext.fromPartial({ extraContext: { a: '1', b: '2', keep: 'k' } }) }),
    bg(),
  );
  assert.equal(returned.context?.extraContext, { a: '1', b: '2', keep: 'k' });

  end.override = (c) => ({
    ...c,
    context: {
      ...(c.context ?? { ipContext: undefined, dnsContext: undefined, ethernetContext: undefined, MTU: 0 }),
      extraContext: { ...c.context?.extraContext, fromEvent: 'e', keep: 'changed-by-event' },
    },
  });
  await cap.factory().request();

  const mine = structuredClone(returned);
  if (mine.context === undefined) throw new Error('no context');
  mine.context.extraContext['a'] = 'changed';
  delete mine.context.extraContext['b'];
  await handler.request(NetworkServiceRequest.fromPartial({ connection: mine }), bg());
  assert.equal(end.requests.at(-1)?.connection?.context?.extraContext, {
    a: 'changed',
    keep: 'changed-by-event',
    fromEvent: 'e',
  });
});

merge('an unchanged caller context keeps the current context as is', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([beginClient(), cap, end]);
  const returned = await handler.request(
    request({ context: ConnectionContext.fromPartial({ extraContext: { a: '1' }, MTU: 1500 }) }),
    bg(),
  );
  end.override = (c) => ({
    ...c,
    context: {
      ...(c.context ?? {
        ipContext: undefined,
        dnsContext: undefined,
        ethernetContext: undefined,
        extraContext: {},
      }),
      MTU: 9000,
    },
  });
  await cap.factory().request();
  await handler.request(NetworkServiceRequest.fromPartial({ connection: returned }), bg());
  assert.is(end.requests.at(-1)?.connection?.context?.MTU, 9000);
  assert.equal(end.requests.at(-1)?.connection?.context?.extraContext, { a: '1' });
});

merge('the first request goes out as requested', async () => {
  const end = endpoint();
  const handler = networkServiceHandler([beginClient(), end]);
  await handler.request(request({ networkServiceEndpointName: 'x', labels: { l: 'v' } }), bg());
  assert.is(end.requests[0]?.connection?.networkServiceEndpointName, 'x');
  assert.equal(end.requests[0]?.connection?.labels, { l: 'v' });
});

merge.run();

// ---------------------------------------------------------------------------------------------------------
const reselect = suite('begin client: reselect events');

reselect(
  'reselect closes the current path first, then requests with mechanism and NSE cleared, RESELECT_REQUESTED',
  async () => {
    const cap = capture();
    const end = endpoint();
    const begin = beginClient();
    const handler = networkServiceHandler([begin, cap, end]);
    await handler.request(request({}), bg());
    end.log.length = 0;
    assert.equal(await cap.factory().request({ reselect: true }), { status: 'done' });
    assert.equal(end.log, ['close nse-1', 'request -']);
    assert.is(end.closes[0]?.mechanism?.type, 'KERNEL');
    const sent = end.requests.at(-1)?.connection;
    assert.is(sent?.mechanism, undefined);
    assert.is(sent?.networkServiceEndpointName, '');
    assert.is(sent?.state, State.RESELECT_REQUESTED);
    assert.is(begin.size, 1);
  },
);

reselect('a reselect whose close fails still re-requests', async () => {
  const cap = capture();
  const end = endpoint();
  let closes = 0;
  const failClose: NetworkServiceElement = {
    name: 'fail-close',
    close: () => {
      closes++;
      return Promise.reject(new Error('close failed'));
    },
  };
  const handler = networkServiceHandler([beginClient(), cap, failClose, end]);
  await handler.request(request({}), bg());
  assert.equal(await cap.factory().request({ reselect: true }), { status: 'done' });
  assert.is(closes, 1);
  assert.is(end.requests.length, 2);
});

reselect('a custom reselect function is applied', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([
    beginClient({
      reselect: (r) => ({
        ...r,
        connection: { ...(r.connection ?? Connection.create()), labels: { reselected: 'yes' } },
      }),
    }),
    cap,
    end,
  ]);
  await handler.request(request({}), bg());
  await cap.factory().request({ reselect: true });
  const sent = end.requests.at(-1)?.connection;
  assert.equal(sent?.labels, { reselected: 'yes' });
  assert.is(sent?.networkServiceEndpointName, 'nse-1');
  assert.is(end.closes.length, 1);
});

reselect('reselectSameEndpoint keeps the NSE name', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([beginClient({ reselect: reselectSameEndpoint }), cap, end]);
  await handler.request(request({}), bg());
  await cap.factory().request({ reselect: true });
  const sent = end.requests.at(-1)?.connection;
  assert.is(sent?.networkServiceEndpointName, 'nse-1');
  assert.is(sent?.mechanism, undefined);
  assert.is(sent?.state, State.RESELECT_REQUESTED);
});

reselect('defaultReselect does not modify its input', () => {
  const input = request({
    networkServiceEndpointName: 'n',
    mechanism: Mechanism.fromPartial({ cls: 'LOCAL', type: 'KERNEL' }),
  });
  const out = defaultReselect(input);
  assert.is(input.connection?.networkServiceEndpointName, 'n');
  assert.is(input.connection?.mechanism?.type, 'KERNEL');
  assert.is(out.connection?.networkServiceEndpointName, '');
  assert.is(out.connection?.mechanism, undefined);
  assert.is(out.connection?.state, State.RESELECT_REQUESTED);
  const none = NetworkServiceRequest.fromPartial({});
  assert.is(defaultReselect(none), none);
});

reselect('the server begin ignores the reselect option', async () => {
  const cap = capture();
  const end = endpoint();
  const handler = networkServiceHandler([beginServer(), cap, end]);
  await handler.request(request({}), bg());
  end.log.length = 0;
  await cap.factory().request({ reselect: true });
  assert.equal(end.log, ['request nse-1']);
});

reselect.run();
