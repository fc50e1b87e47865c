import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Mechanism } from '../../api/gen/connection.js';
import { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { networkServiceHandler } from '../../chain/network-service.js';
import { checkRequest, injectError } from '../../testing/index.js';
import {
  generateInterfaceName,
  KERNEL_NETNS_URL,
  kernelClient,
  kernelMechanism,
  kernelServer,
  mechanismsServer,
  noopServer,
  toKernel,
  vxlanMechanism,
} from './index.js';

const bg = (): CallContext => CallContext.background();
const ALPHABET = /^[0-9A-Za-z]+$/;

async function sent(
  element: ReturnType<typeof kernelClient>,
  request: NetworkServiceRequest,
): Promise<NetworkServiceRequest> {
  let seen: NetworkServiceRequest | undefined;
  await networkServiceHandler([element, checkRequest((r) => (seen = r))]).request(request, bg());
  return seen!;
}

// ---------------------------------------------------------------------------------------------------------
const names = suite('mechanisms/kernel: interface names');

names('generated: first 10 characters of the service, "-", random [0-9A-Za-z], exactly 15', () => {
  const long = generateInterfaceName('nsm-dfs422343tsdf543');
  assert.is(long.length, 15);
  assert.ok(long.startsWith('nsm-dfs422-'));
  assert.ok(ALPHABET.test(long.slice(11)));
  const short = generateInterfaceName('nsm');
  assert.is(short.length, 15);
  assert.ok(short.startsWith('nsm-'));
  assert.ok(ALPHABET.test(short.slice(4)));
  assert.is(
    generateInterfaceName('', () => 0),
    '-00000000000000',
  );
  assert.is.not(generateInterfaceName('svc'), generateInterfaceName('svc'));
});

names.run();

// ---------------------------------------------------------------------------------------------------------
const client = suite('mechanisms/kernel: client');

client('adds one LOCAL KERNEL preference with the netns URL and a generated name', async () => {
  const element = kernelClient();
  const request = NetworkServiceRequest.fromPartial({ connection: { id: 'c', networkService: 'nsm' } });
  const out = await sent(element, request);
  assert.is(out.mechanismPreferences.length, 1);
  const pref = out.mechanismPreferences[0]!;
  assert.is(pref.cls, 'LOCAL');
  assert.is(pref.type, 'KERNEL');
  assert.is(pref.parameters['inodeURL'], KERNEL_NETNS_URL);
  const ifname = pref.parameters['name'] ?? '';
  assert.is(ifname.length, 15);
  assert.ok(ifname.startsWith('nsm-'));
  assert.is(request.mechanismPreferences.length, 0, 'the request is not changed');
});

client('does not add a second KERNEL preference on refresh; keeps the name', async () => {
  const element = kernelClient();
  let request = NetworkServiceRequest.fromPartial({ connection: { id: 'c', networkService: 'nsm' } });
  const first = await sent(element, request);
  for (let i = 0; i < 10; i++) {
    request = await sent(element, { ...request, mechanismPreferences: first.mechanismPreferences });
    assert.is(request.mechanismPreferences.length, 1);
    assert.is(
      request.mechanismPreferences[0]?.parameters['name'],
      first.mechanismPreferences[0]?.parameters['name'],
    );
  }
});

client('the interfaceName option is cut to 15 characters', async () => {
  const out = await sent(
    kernelClient({ interfaceName: 'aaaaaaaaaaaaaaa-long-suffix' }),
    NetworkServiceRequest.fromPartial({}),
  );
  assert.is(out.mechanismPreferences[0]?.parameters['name'], 'aaaaaaaaaaaaaaa');
});

client('existing KERNEL preferences get the netns URL (always) and a name (when empty)', async () => {
  const given = kernelMechanism({ netnsUrl: 'invalid-url', interfaceName: 'keep-me' });
  const empty = kernelMechanism({ netnsUrl: 'invalid-url' });
  const other = vxlanMechanism();
  const request = NetworkServiceRequest.fromPartial({ mechanismPreferences: [given, other, empty] });
  const out = await sent(kernelClient({ interfaceName: 'nsm-1' }), request);
  assert.is(out.mechanismPreferences.length, 3);
  assert.is(out.mechanismPreferences[0]?.parameters['inodeURL'], KERNEL_NETNS_URL);
  assert.is(out.mechanismPreferences[0]?.parameters['name'], 'keep-me');
  assert.equal(out.mechanismPreferences[1], other);
  assert.is(out.mechanismPreferences[2]?.parameters['name'], 'nsm-1');
  assert.is(
    request.mechanismPreferences[0]?.parameters['inodeURL'],
    'invalid-url',
    'the request is not changed',
  );
});

client('a failing name generator fails the request with MECHANISMS_INTERFACE_NAME_FAILED', async () => {
  const cause = new Error('failed to generate bytes');
  const element = kernelClient({
    interfaceNameGenerator: () => {
      throw cause;
    },
  });
  try {
    await sent(element, NetworkServiceRequest.fromPartial({}));
    assert.unreachable();
  } catch (error) {
    assert.ok(isStatusError(error));
    assert.is(error.code, Code.INTERNAL);
    assert.is(error.reason, 'MECHANISMS_INTERFACE_NAME_FAILED');
    assert.is(error.cause, cause);
  }
});

client.run();

// ---------------------------------------------------------------------------------------------------------
const server = suite('mechanisms/kernel: server');

server('fills the netns URL and the name on the chosen KERNEL mechanism; keeps them on refresh', async () => {
  const handler = networkServiceHandler([kernelServer()]);
  const request = NetworkServiceRequest.fromPartial({
    connection: {
      id: 'c',
      networkService: 'nsm-dfs422343tsdf543',
      mechanism: kernelMechanism({ netnsUrl: 'invalid-url' }),
    },
  });
  const conn = await handler.request(request, bg());
  const view = toKernel(conn.mechanism)!;
  assert.is(view.netnsUrl, KERNEL_NETNS_URL);
  assert.is(view.interfaceName.length, 15);
  assert.ok(view.interfaceName.startsWith('nsm-dfs422-'));
  assert.is(
    request.connection?.mechanism?.parameters['inodeURL'],
    'invalid-url',
    'the request is not changed',
  );
  const again = await handler.request({ ...request, connection: conn }, bg());
  assert.is(toKernel(again.mechanism)?.interfaceName, view.interfaceName);
});

server('uses the interfaceName option cut to 15; other mechanisms pass unchanged', async () => {
  const handler = networkServiceHandler([kernelServer({ interfaceName: 'aaaaaaaaaaaaaaa-long' })]);
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'c', mechanism: kernelMechanism() } }),
    bg(),
  );
  assert.is(toKernel(conn.mechanism)?.interfaceName, 'aaaaaaaaaaaaaaa');
  const vx = Mechanism.fromPartial({ type: 'VXLAN', parameters: { name: '' } });
  const other = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'c', mechanism: vx } }),
    bg(),
  );
  assert.equal(other.mechanism, vx);
});

server('inside mechanismsServer: KERNEL and NOOP chosen from the preferences', async () => {
  const handler = networkServiceHandler([mechanismsServer({ KERNEL: kernelServer(), NOOP: noopServer() })]);
  const conn = await handler.request(
    NetworkServiceRequest.fromPartial({
      connection: { id: 'c', networkService: 'svc', path: { index: 0, pathSegments: [{}] } },
      mechanismPreferences: [{ type: 'MEMIF' }, kernelMechanism()],
    }),
    bg(),
  );
  const name = toKernel(conn.mechanism)?.interfaceName ?? '';
  assert.is(name.length, 15);
  assert.is(conn.path?.pathSegments[0]?.metrics['server_interface'], `KERNEL/${name}`);
  const noop = await handler.request(
    NetworkServiceRequest.fromPartial({ connection: { id: 'd' }, mechanismPreferences: [{ type: 'NOOP' }] }),
    bg(),
  );
  assert.is(noop.mechanism?.type, 'NOOP');
});

server('a downstream failure passes through', async () => {
  const boom = new Error('boom');
  const handler = networkServiceHandler([kernelServer(), injectError({ error: boom })]);
  try {
    await handler.request(
      NetworkServiceRequest.fromPartial({ connection: { id: 'c', mechanism: kernelMechanism() } }),
      bg(),
    );
    assert.unreachable();
  } catch (error) {
    assert.is(error, boom);
  }
});

server.run();
