import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Path, type DeepPartial } from '../../api/gen/connection.js';
import { timestampFromMs } from '../../api/timestamp.js';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { Code, isStatusError } from '../../chain/errors.js';
import { manualClock, type ManualClock } from '../../testing/index.js';
import { signJwt, type JwtClaims } from '../token-jwt/index.js';
import {
  pathConsistencyPolicy,
  tokensChainedPolicy,
  tokensExpiredPolicy,
  type AuthorizePolicy,
  type PathPolicyInput,
} from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const jwt = (claims: JwtClaims): string => signJwt(claims, 'k');
const input = (path: DeepPartial<Path>, connectionId = ''): PathPolicyInput => ({
  path: Path.fromPartial(path),
  connectionId,
});

async function outcome(policy: AuthorizePolicy, what: PathPolicyInput, clock?: ManualClock): Promise<string> {
  const ctx = clock === undefined ? CallContext.background() : withClock(CallContext.background(), clock);
  try {
    await policy.check(what, ctx);
    return 'allowed';
  } catch (error) {
    assert.ok(isStatusError(error), String(error));
    if (!isStatusError(error)) return 'not a StatusError';
    assert.is(error.code, Code.PERMISSION_DENIED);
    assert.ok(error.message.startsWith(`authorize: ${policy.name}: `), error.message);
    return error.reason ?? 'no reason';
  }
}

// ---------------------------------------------------------------------------------------------------------
const expired = suite('authorize policy: tokens_expired');

expired('JWT exp decides when the token decodes, on the context clock', async () => {
  const clock = manualClock(T0);
  const policy = tokensExpiredPolicy();
  assert.is(policy.name, 'tokens_expired');
  const path = {
    pathSegments: [
      { name: 'a', token: jwt({ sub: 'a', exp: T0 / 1000 + 60 }), expires: timestampFromMs(T0 - 1) },
      { name: 'b', token: jwt({ sub: 'b', exp: T0 / 1000 + 30 }) },
    ],
  };
  assert.is(await outcome(policy, input(path), clock), 'allowed');
  clock.advance(29_999);
  assert.is(await outcome(policy, input(path), clock), 'allowed');
  clock.advance(1);
  assert.is(await outcome(policy, input(path), clock), 'AUTHORIZE_TOKENS_EXPIRED');
});

expired('segment expires decides for opaque tokens; neither means refused; empty path allowed', async () => {
  const clock = manualClock(T0);
  const policy = tokensExpiredPolicy();
  const opaque = { pathSegments: [{ token: 'opaque', expires: { seconds: T0 / 1000, nanos: 1_500_000 } }] };
  assert.is(await outcome(policy, input(opaque), clock), 'allowed');
  clock.advance(1);
  assert.is(await outcome(policy, input(opaque), clock), 'allowed', '1.5 ms is still ahead of 1 ms');
  clock.advance(1);
  assert.is(await outcome(policy, input(opaque), clock), 'AUTHORIZE_TOKENS_EXPIRED');
  const bare = { pathSegments: [{ name: 'x', token: jwt({ sub: 'no-exp' }) }] };
  assert.is(await outcome(policy, input(bare), clock), 'AUTHORIZE_TOKENS_EXPIRED');
  assert.is(await outcome(policy, input({}), clock), 'allowed');
});

expired.run();

// ---------------------------------------------------------------------------------------------------------
const chained = suite('authorize policy: tokens_chained');

chained(
  'each aud must contain the next sub; string or list audiences; fewer than 2 segments allowed',
  async () => {
    const policy = tokensChainedPolicy();
    assert.is(policy.name, 'tokens_chained');
    const good = {
      pathSegments: [
        { token: jwt({ sub: 'nsc', aud: ['nsmgr'] }) },
        { token: jwt({ sub: 'nsmgr', aud: 'fwd' }) },
        { token: jwt({ sub: 'fwd', aud: ['x', 'nse'] }) },
        { token: jwt({ sub: 'nse' }) },
      ],
    };
    assert.is(await outcome(policy, input(good)), 'allowed');
    const broken = { pathSegments: [...good.pathSegments.slice(0, 2), { token: jwt({ sub: 'other' }) }] };
    assert.is(await outcome(policy, input(broken)), 'AUTHORIZE_TOKENS_CHAINED');
    const noAud = { pathSegments: [{ token: jwt({ sub: 'a' }) }, { token: jwt({ sub: 'b' }) }] };
    assert.is(await outcome(policy, input(noAud)), 'AUTHORIZE_TOKENS_CHAINED');
    const noSub = { pathSegments: [{ token: jwt({ aud: ['b'] }) }, { token: jwt({ exp: 1 }) }] };
    assert.is(await outcome(policy, input(noSub)), 'AUTHORIZE_TOKENS_CHAINED');
    assert.is(await outcome(policy, input({ pathSegments: [{ token: 'x' }] })), 'allowed');
    assert.is(await outcome(policy, input({})), 'allowed');
  },
);

chained('pairs with an undecodable token are skipped', async () => {
  const path = {
    pathSegments: [
      { token: jwt({ sub: 'a', aud: ['nobody'] }) },
      { token: 'opaque' },
      { token: jwt({ sub: 'c', aud: ['d'] }) },
      { token: jwt({ sub: 'd' }) },
    ],
  };
  assert.is(await outcome(tokensChainedPolicy(), input(path)), 'allowed');
});

chained.run();

// ---------------------------------------------------------------------------------------------------------
const consistency = suite('authorize policy: path_consistency');

consistency(
  'index in range, named and identified segments up to the index, connection id at the index',
  async () => {
    const policy = pathConsistencyPolicy();
    assert.is(policy.name, 'path_consistency');
    const segments = [
      { name: 'nsc', id: 'a' },
      { name: 'nsmgr', id: 'b' },
      { name: '', id: '' },
    ];
    assert.is(await outcome(policy, input({ index: 1, pathSegments: segments }, 'b')), 'allowed');
    const cases: [DeepPartial<Path>, string][] = [
      [{ index: 2, pathSegments: segments }, ''],
      [{ index: 3, pathSegments: segments }, 'b'],
      [{ index: 0, pathSegments: [] }, ''],
      [{ index: 1, pathSegments: segments }, 'a'],
      [{ index: 1, pathSegments: [{ name: 'nsc' }, { name: 'nsmgr', id: 'b' }] }, 'b'],
      [{ index: 0, pathSegments: [{ id: 'a' }] }, 'a'],
    ];
    for (const [path, id] of cases) {
      assert.is(await outcome(policy, input(path, id)), 'AUTHORIZE_PATH_CONSISTENCY', JSON.stringify(path));
    }
  },
);

consistency.run();
