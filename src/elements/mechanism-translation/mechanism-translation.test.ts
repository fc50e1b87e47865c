import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneMessage } from '../../api/clone.js';
import type { Connection, Mechanism } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { isStatusError } from '../../chain/errors.js';
import { networkServiceHandler, type NetworkServiceElement } from '../../chain/network-service.js';
import { checkRequest, injectError } from '../../testing/index.js';
import { KERNEL_NETNS_URL, kernelClient, kernelMechanism, mechanismsServer } from '../mechanisms/index.js';
import { metadata } from '../metadata/index.js';
import { mechanismTranslationClient } from './index.js';

const bg = (): CallContext => CallContext.background();
const clientKernel = (): Mechanism => kernelMechanism({ netnsUrl: KERNEL_NETNS_URL, interfaceName: 'nsm1' });

/** Records what passes, both ways. */
interface Capture extends NetworkServiceElement {
  lastRequest?: NetworkServiceRequest;
  lastClosed?: Connection;
}

function capture(): Capture {
  const element: Capture = {
    name: 'capture',
    async request(request, ctx, next) {
      element.lastRequest = cloneMessage(request);
      return next.request(request, ctx);
    },
    async close(connection, ctx, next) {
      element.lastClosed = cloneMessage(connection);
      return next.close(connection, ctx);
    },
  };
  return element;
}

const incoming = (): NetworkServiceRequest =>
  NetworkServiceRequest.fromPartial({
    connection: {
      id: 'id',
      mechanism: { cls: 'LOCAL', type: 'VFIO' },
      context: { extraContext: { a: 'A', b: 'B', c: 'C' } },
    },
    mechanismPreferences: [{ cls: 'LOCAL', type: 'VFIO' }],
  });

const downstream = (): NetworkServiceElement[] => [
  kernelClient({ interfaceName: 'nsm1' }),
  mechanismsServer({ KERNEL: { name: 'kernel-null' } }),
];

// ---------------------------------------------------------------------------------------------------------
const translation = suite('mechanism-translation');

translation('Request, refresh and Close swap the incoming and the outgoing mechanism', async () => {
  const seen = capture();
  const handler = networkServiceHandler([metadata(), mechanismTranslationClient(), seen, ...downstream()]);
  const request = incoming();

  const conn = await handler.request(cloneMessage(request), bg());
  assert.equal(conn, request.connection, 'the caller gets its own mechanism back');
  assert.equal(seen.lastRequest, {
    ...request,
    mechanismPreferences: [],
    connection: { ...request.connection!, mechanism: undefined },
  });

  const refreshed = await handler.request(cloneMessage(request), bg());
  assert.equal(refreshed, request.connection);
  assert.equal(seen.lastRequest?.mechanismPreferences, []);
  assert.equal(seen.lastRequest?.connection?.mechanism, clientKernel());

  await handler.close(cloneMessage(refreshed), bg());
  assert.equal(seen.lastClosed?.mechanism, clientKernel());
  assert.equal(seen.lastClosed?.context, request.connection?.context);
});

translation('Close forgets the outgoing mechanism; a closed-then-failed refresh starts over', async () => {
  const mechanisms: (string | undefined)[] = [];
  let calls = 0;
  // Fails every second Request after closing what it got back, as an element that rejects a result would.
  const closeOnError: NetworkServiceElement = {
    name: 'close-on-error',
    async request(request, ctx, next) {
      const conn = await next.request(request, ctx);
      if (++calls % 2 === 1) return conn;
      await next.close(conn, ctx);
      throw new Error('rejected');
    },
  };
  const handler = networkServiceHandler([
    metadata(),
    closeOnError,
    mechanismTranslationClient(),
    checkRequest((r) => {
      mechanisms.push(r.connection?.mechanism?.type);
    }),
    ...downstream(),
  ]);
  const first = await handler.request(NetworkServiceRequest.fromPartial({ connection: { id: 'id' } }), bg());
  let failed = false;
  try {
    await handler.request(NetworkServiceRequest.fromPartial({ connection: first }), bg());
  } catch {
    failed = true;
  }
  assert.ok(failed);
  await handler.request(NetworkServiceRequest.fromPartial({ connection: first }), bg());
  assert.equal(mechanisms, [undefined, 'KERNEL', undefined]);
});

translation('a failed Request keeps the remembered mechanism', async () => {
  const seen = capture();
  let fail = false;
  const gate: NetworkServiceElement = {
    name: 'gate',
    async request(request, ctx, next) {
      if (fail) throw new Error('down');
      return next.request(request, ctx);
    },
  };
  const handler = networkServiceHandler([
    metadata(),
    mechanismTranslationClient(),
    gate,
    seen,
    ...downstream(),
  ]);
  await handler.request(incoming(), bg());
  fail = true;
  try {
    await handler.request(incoming(), bg());
  } catch {
    // expected
  }
  fail = false;
  await handler.request(incoming(), bg());
  assert.equal(seen.lastRequest?.connection?.mechanism, clientKernel());
});

translation('needs metadata', async () => {
  const handler = networkServiceHandler([mechanismTranslationClient(), injectError()]);
  try {
    await handler.request(incoming(), bg());
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.reason, 'METADATA_MISSING');
  }
});

translation.run();
