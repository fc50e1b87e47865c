import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, from, toArray } from 'rxjs';
import {
  Connection,
  ConnectionEventType,
  PathSegment,
  State,
  type ConnectionEvent,
  type MonitorScopeSelector,
} from '../../api/gen/connection.js';

interface SelectorSpec {
  readonly pathSegments?: Partial<PathSegment>[];
  readonly networkServices?: string[];
}
import {
  filterConnections,
  followConnection,
  matchesMonitorScopeSelector,
  nextHopSelector,
} from './index.js';

const conn = (id: string, segments: { name?: string; id?: string; token?: string }[], ns = 'ns') =>
  Connection.fromPartial({ id, networkService: ns, path: { index: 0, pathSegments: segments } });
const selector = (partial: SelectorSpec): MonitorScopeSelector => ({
  pathSegments: (partial.pathSegments ?? []).map((segment) => ({ ...PathSegment.create(), ...segment })),
  networkServices: partial.networkServices ?? [],
});

// ---------------------------------------------------------------------------------------------------------
const matching = suite('monitor: MonitorScopeSelector matching');

matching('an empty selector matches any connection, but not a missing one', () => {
  assert.ok(matchesMonitorScopeSelector(conn('a', []), selector({})));
  assert.not.ok(matchesMonitorScopeSelector(undefined, selector({})));
});

matching('network services: the connection network service must be listed', () => {
  assert.ok(matchesMonitorScopeSelector(conn('a', [], 'x'), selector({ networkServices: ['y', 'x'] })));
  assert.not.ok(matchesMonitorScopeSelector(conn('a', [], 'z'), selector({ networkServices: ['y', 'x'] })));
  const both = selector({ networkServices: ['x'], pathSegments: [{ name: 'nsmgr' }] });
  assert.ok(matchesMonitorScopeSelector(conn('a', [{ name: 'nsc' }, { name: 'nsmgr' }], 'x'), both));
  assert.not.ok(matchesMonitorScopeSelector(conn('a', [{ name: 'nsc' }], 'x'), both));
});

matching('path segments match a contiguous run at any offset; empty fields are wildcards', () => {
  const c = conn('a', [
    { name: 'nsc', id: '1', token: 't1' },
    { name: 'nsmgr', id: '2', token: 't2' },
    { name: 'fwd', id: '3', token: 't3' },
  ]);
  assert.ok(matchesMonitorScopeSelector(c, selector({ pathSegments: [{ name: 'nsmgr' }, { name: 'fwd' }] })));
  assert.ok(matchesMonitorScopeSelector(c, selector({ pathSegments: [{ id: '2' }, { token: 't3' }] })));
  assert.ok(matchesMonitorScopeSelector(c, selector({ pathSegments: [{}, {}, {}] })));
  assert.not.ok(
    matchesMonitorScopeSelector(c, selector({ pathSegments: [{ name: 'nsc' }, { name: 'fwd' }] })),
    'not contiguous',
  );
  assert.not.ok(matchesMonitorScopeSelector(c, selector({ pathSegments: [{ name: 'nsmgr', id: '9' }] })));
  assert.not.ok(matchesMonitorScopeSelector(c, selector({ pathSegments: [{}, {}, {}, {}] })), 'too long');
  assert.not.ok(matchesMonitorScopeSelector(conn('a', []), selector({ pathSegments: [{}] })));
});

matching('expires and metrics of selector segments are ignored', () => {
  const c = conn('a', [{ name: 'nsc' }]);
  const s = selector({
    pathSegments: [{ name: 'nsc', metrics: { m: '1' }, expires: { seconds: 5, nanos: 0 } }],
  });
  assert.ok(matchesMonitorScopeSelector(c, s));
});

matching('filterConnections keeps matching entries of a record or a map, the same objects', () => {
  const a = conn('a', [{ name: 'x' }]);
  const b = conn('b', [{ name: 'y' }]);
  const s = selector({ pathSegments: [{ name: 'x' }] });
  const fromRecord = filterConnections({ a, b, gone: undefined }, s);
  assert.equal(Object.keys(fromRecord), ['a']);
  assert.is(fromRecord['a'], a);
  const fromMap = filterConnections(
    new Map([
      ['a', a],
      ['b', b],
    ]),
    selector({}),
  );
  assert.equal(Object.keys(fromMap).sort(), ['a', 'b']);
});

matching.run();

// ---------------------------------------------------------------------------------------------------------
const follow = suite('monitor: following a connection at the next hop');

const mine = Connection.fromPartial({
  id: 'c1',
  networkService: 'ns',
  labels: { mine: 'yes' },
  path: {
    index: 1,
    pathSegments: [
      { name: 'nsc', id: 'c0' },
      { name: 'me', id: 'c1' },
    ],
  },
});
const downstream = (index: number, extra: Partial<Connection> = {}): Connection =>
  Connection.fromPartial({
    id: 'd1',
    networkService: 'ns',
    labels: { theirs: 'yes' },
    path: {
      index,
      pathSegments: [
        { name: 'nsc', id: 'c0' },
        { name: 'me', id: 'c1' },
        { name: 'nse', id: 'd1' },
      ],
    },
    ...extra,
  });
const event = (type: ConnectionEventType, ...connections: Connection[]): ConnectionEvent => ({
  type,
  connections: Object.fromEntries(connections.map((c, i) => [`k${i}`, c])),
});
const run = (events: ConnectionEvent[], options = {}) =>
  firstValueFrom(from(events).pipe(followConnection(mine, options), toArray()));

follow('nextHopSelector asks for the {id, name} of the current segment', () => {
  assert.equal(
    nextHopSelector(mine).pathSegments.map((s) => [s.id, s.name]),
    [['c1', 'me']],
  );
  assert.equal(nextHopSelector(Connection.fromPartial({})).pathSegments.length, 1);
});

follow('keeps our id at our index with index ours or ours+1, rebuilt as our connection', async () => {
  const out = await run([
    event(ConnectionEventType.UPDATE, downstream(0, { state: State.DOWN })),
    event(ConnectionEventType.UPDATE, downstream(1, { state: State.REFRESH_REQUESTED })),
  ]);
  assert.is(out.length, 1, 'index 0 is neither ours nor the next');
  const got = out[0]?.connections['c1'];
  assert.is(out[0]?.type, ConnectionEventType.UPDATE);
  assert.is(got?.state, State.REFRESH_REQUESTED);
  assert.is(got?.path?.index, 1);
  assert.is(got?.path?.pathSegments.length, 3);
  assert.equal(got?.labels, { mine: 'yes' });
});

follow('another id at our index, or too short a path, is ignored', async () => {
  const other = downstream(2, { state: State.DOWN });
  other.path!.pathSegments[1]!.id = 'someone-else';
  const short = Connection.fromPartial({ id: 'x', path: { index: 0, pathSegments: [{ id: 'c0' }] } });
  assert.equal(await run([event(ConnectionEventType.UPDATE, other, short)]), []);
});

follow('DELETE becomes DOWN; an unchanged connection is dropped', async () => {
  const out = await run([
    event(ConnectionEventType.UPDATE, downstream(2)),
    event(ConnectionEventType.UPDATE, downstream(2)),
    event(ConnectionEventType.DELETE, downstream(2)),
  ]);
  assert.is(out.length, 2);
  assert.is(out[1]?.connections['c1']?.state, State.DOWN);
});

follow('skipUnchangedInitial drops initial entries whose state equals ours', async () => {
  const initial = event(ConnectionEventType.INITIAL_STATE_TRANSFER, downstream(2));
  assert.is((await run([initial])).length, 1);
  assert.is((await run([initial], { skipUnchangedInitial: true })).length, 0);
});

follow('updatesOnly ignores DELETE events', async () => {
  const deleted = event(ConnectionEventType.DELETE, downstream(2));
  assert.is((await run([deleted])).length, 1);
  assert.is((await run([deleted], { updatesOnly: true })).length, 0);
});

follow.run();
