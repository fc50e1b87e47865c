import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from './gen/connection.js';
import { ConnectionContext } from './gen/connectioncontext.js';
import { cloneMessage, protoEqual } from './clone.js';

test('cloneMessage copies deeply, including unknown fields', () => {
  const bytes = Connection.encode(
    Connection.fromPartial({
      id: 'a',
      labels: { k: 'v' },
      path: { index: 1, pathSegments: [{ name: 'x', id: 'y' }] },
    }),
  ).finish();
  const withUnknown = new Uint8Array([...bytes, 0xa0, 0x06, 0x01]); // field 100, varint 1
  const original = Connection.decode(withUnknown);
  const copy = cloneMessage(original);
  assert.equal(copy, original);
  assert.is.not(copy.path, original.path);
  assert.is.not(copy.path?.pathSegments[0], original.path?.pathSegments[0]);
  copy.labels['k'] = 'changed';
  assert.is(original.labels['k'], 'v');
  assert.equal(Connection.encode(copy).finish().slice(-3), new Uint8Array([0xa0, 0x06, 0x01]));
});

test('protoEqual: unset scalars equal zero values, an empty message differs from an unset one', () => {
  const a = ConnectionContext.fromPartial({ MTU: 0, extraContext: {} });
  const b = ConnectionContext.fromPartial({});
  assert.ok(protoEqual(ConnectionContext, a, b));
  assert.not.ok(protoEqual(ConnectionContext, { ...b, ipContext: { srcIpAddrs: [] } as never }, b));
  assert.ok(
    protoEqual(
      ConnectionContext,
      { ...b, extraContext: { x: '1', y: '2' } },
      { ...b, extraContext: { y: '2', x: '1' } },
    ),
  );
  assert.not.ok(protoEqual(ConnectionContext, { ...b, MTU: 1500 }, b));
});

test.run();
