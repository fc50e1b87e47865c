import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withClock } from '../../chain/clock.js';
import { CallContext } from '../../chain/context.js';
import { ConfigError } from '../../chain/errors.js';
import { manualClock } from '../../testing/index.js';
import { decodeJwt, jwtTokenGenerator, signJwt, verifyJwt } from './index.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

// ---------------------------------------------------------------------------------------------------------
const generator = suite('token-jwt: generator');

generator(
  'defaults: sub spiffe://test.com/subject, one hour on the context clock, signed with supersecret',
  () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    const ctx = withClock(CallContext.background(), clock);
    const { token, expiresAt } = jwtTokenGenerator()(ctx);
    assert.is(expiresAt, clock.now() + 3_600_000);
    const claims = verifyJwt(token, 'supersecret');
    assert.ok(claims);
    assert.equal(claims, { sub: 'spiffe://test.com/subject', exp: Math.floor(expiresAt / 1000) });
    assert.equal(decodeJwt(token), claims);
    const [header] = token.split('.');
    assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
  },
);

generator('options: secret, spiffeId, lifetimeMs and audience (string or list, written as a list)', () => {
  const clock = manualClock(1_000_000);
  const ctx = withClock(CallContext.background(), clock);
  const gen = jwtTokenGenerator({
    secret: 'k',
    spiffeId: 'spiffe://a/b',
    lifetimeMs: 10_999,
    audience: 'spiffe://next',
  });
  const first = gen(ctx);
  assert.is(first.expiresAt, 1_010_999);
  assert.equal(verifyJwt(first.token, 'k'), { sub: 'spiffe://a/b', aud: ['spiffe://next'], exp: 1010 });
  assert.is(verifyJwt(first.token, 'supersecret'), undefined);
  clock.advance(5000);
  assert.is(decodeJwt(gen(ctx).token)?.exp, 1015);
  const bytes = jwtTokenGenerator({ secret: new Uint8Array([1, 2, 3]), audience: ['x', 'y'] })(ctx);
  assert.equal(verifyJwt(bytes.token, new Uint8Array([1, 2, 3]))?.aud, ['x', 'y']);
});

generator('bad options throw ConfigError', () => {
  const bad = [
    { secret: '' },
    { secret: new Uint8Array() },
    { spiffeId: '' },
    { lifetimeMs: 0 },
    { lifetimeMs: -1 },
    { lifetimeMs: Number.NaN },
    { lifetimeMs: Infinity },
    { audience: '' },
    { audience: ['ok', ''] },
  ];
  for (const options of bad) {
    assert.throws(
      () => jwtTokenGenerator(options),
      (e: unknown) => e instanceof ConfigError,
    );
  }
});

generator('a token is signed once per second of exp; expiresAt stays exact to the ms', () => {
  const clock = manualClock(Date.UTC(2026, 0, 1, 0, 0, 0, 100));
  const ctx = withClock(CallContext.background(), clock);
  const gen = jwtTokenGenerator({ lifetimeMs: 60_000 });
  const first = gen(ctx);
  clock.advance(800);
  const sameSecond = gen(ctx);
  assert.is(sameSecond.token, first.token, 'the same claims, so the same token');
  assert.is(sameSecond.expiresAt, first.expiresAt + 800);
  clock.advance(100);
  const next = gen(ctx);
  assert.is.not(next.token, first.token);
  assert.is(decodeJwt(next.token)?.exp, Math.floor(next.expiresAt / 1000));
});

generator.run();

// ---------------------------------------------------------------------------------------------------------
const codec = suite('token-jwt: sign, decode, verify');

codec('signJwt matches the RFC 7519 / jwt.io HS256 example byte for byte', () => {
  const token = signJwt({ sub: '1234567890', name: 'John Doe', iat: 1516239022 }, 'your-256-bit-secret');
  assert.is(
    token,
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  );
  assert.equal(verifyJwt(token, 'your-256-bit-secret')?.['name'], 'John Doe');
});

codec('decodeJwt ignores the signature but rejects what is not a JWT with well-typed claims', () => {
  const header = b64({ alg: 'HS256' });
  assert.equal(decodeJwt(`${header}.${b64({ sub: 's', exp: 5 })}.garbage`), { sub: 's', exp: 5 });
  assert.equal(decodeJwt(`${header}.${b64({ aud: 'one' })}.`), { aud: 'one' });
  const undecodable = [
    '',
    'abc',
    `${header}.${b64({ sub: 's' })}`,
    `${header}.${b64({ sub: 's' })}.x.y`,
    `${header}.not-json.x`,
    `${header}.${b64([1, 2])}.x`,
    `${header}.${b64('text')}.x`,
    `${b64(5)}.${b64({ sub: 's' })}.x`,
    `${header}.${b64({ sub: 5 })}.x`,
    `${header}.${b64({ exp: '5' })}.x`,
    `${header}.${b64({ aud: [1] })}.x`,
    `${header}.${b64({ aud: { a: 1 } })}.x`,
    `${header}.e30+.x`,
  ];
  for (const token of undecodable) assert.is(decodeJwt(token), undefined, token);
});

codec('verifyJwt refuses tampered payloads, other algorithms and malformed signatures', () => {
  const token = signJwt({ sub: 'a', exp: 10 }, 'k');
  const [header, , sig] = token.split('.');
  assert.ok(verifyJwt(token, 'k'));
  assert.is(verifyJwt(`${header}.${b64({ sub: 'b', exp: 10 })}.${sig}`, 'k'), undefined);
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'a' })}.`;
  assert.is(verifyJwt(none, 'k'), undefined);
  assert.is(verifyJwt(`${token}x`, 'k'), undefined);
  assert.is(verifyJwt(`${header}.${b64({ sub: 'a', exp: 10 })}.+/=`, 'k'), undefined);
  assert.is(verifyJwt('nope', 'k'), undefined);
});

codec('decoding the same token again gives the same frozen claims; garbage stays undefined', () => {
  const token = signJwt({ sub: 'spiffe://x/y', exp: 42 }, 'k');
  const claims = decodeJwt(token);
  assert.ok(claims !== undefined && Object.isFrozen(claims));
  const withAudience = decodeJwt(signJwt({ sub: 's', aud: ['a', 'b'], exp: 42 }, 'k'));
  assert.ok(Object.isFrozen(withAudience?.aud), 'nested values too');
  assert.is(decodeJwt(token), claims);
  assert.is(decodeJwt('not.a.jwt'), undefined);
  assert.is(decodeJwt('not.a.jwt'), undefined);
});

codec.run();
