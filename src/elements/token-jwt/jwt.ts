import { createHmac, timingSafeEqual } from 'node:crypto';
import { clockOf } from '../../chain/clock.js';
import { ConfigError } from '../../chain/errors.js';
import type { TokenGenerator } from '../../chain/token.js';

/** The registered claims NSM reads from a path token; other claims are kept as they came. */
export interface JwtClaims {
  /** Subject: the SPIFFE ID of the hop that issued the token. */
  readonly sub?: string;
  /** Audience: the SPIFFE IDs the token is meant for (a string or a list, as RFC 7519 allows). */
  readonly aud?: string | readonly string[];
  /** Expiry, seconds since the epoch. */
  readonly exp?: number;
  readonly [claim: string]: unknown;
}

export interface JwtTokenGeneratorOptions {
  /** HMAC key for HS256. Default: `'supersecret'`, the key of Go's `sandbox.GenerateTestToken`. */
  readonly secret?: string | Uint8Array;
  /** The `sub` claim. Default: `'spiffe://test.com/subject'`. */
  readonly spiffeId?: string;
  /** How long each token lives, in ms. Default: 3 600 000 (one hour). */
  readonly lifetimeMs?: number;
  /** The `aud` claim (always written as a list). Default: none. */
  readonly audience?: string | readonly string[];
}

const defaultSecret = 'supersecret';

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signature(signingInput: string, secret: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

/** Signs `claims` as an HS256 JWT. */
export function signJwt(claims: JwtClaims, secret: string | Uint8Array): string {
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(signature(signingInput, secret))}`;
}

function validateOptions(options: JwtTokenGeneratorOptions): void {
  const { secret, spiffeId, lifetimeMs, audience } = options;
  if (secret !== undefined && secret.length === 0) throw new ConfigError('token-jwt: secret is empty');
  if (spiffeId !== undefined && (typeof spiffeId !== 'string' || spiffeId === '')) {
    throw new ConfigError('token-jwt: spiffeId must be a non-empty string');
  }
  if (lifetimeMs !== undefined && !(Number.isFinite(lifetimeMs) && lifetimeMs > 0)) {
    throw new ConfigError(`token-jwt: lifetimeMs must be a positive number, got ${String(lifetimeMs)}`);
  }
  const audiences = typeof audience === 'string' ? [audience] : (audience ?? []);
  if (audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw new ConfigError('token-jwt: audience entries must be non-empty strings');
  }
}

/**
 * A token generator issuing HS256 JWTs (Go's `sandbox.GenerateTestToken` / `GenerateExpiringToken`): `sub` is
 * `spiffeId`, `exp` is now + `lifetimeMs` in whole seconds (rounded down, as Go's NumericDate does) on the
 * clock of the call's context, and `aud` is written when `audience` is given. For tests and sandboxes: real
 * deployments sign with their SPIFFE SVID.
 * @example
 * const server = networkServiceHandler([updatePathServer('nse'), updateTokenServer(jwtTokenGenerator())]);
 */
export function jwtTokenGenerator(options: JwtTokenGeneratorOptions = {}): TokenGenerator {
  validateOptions(options);
  const {
    secret = defaultSecret,
    spiffeId = 'spiffe://test.com/subject',
    lifetimeMs = 3_600_000,
    audience,
  } = options;
  const aud = audience === undefined ? undefined : typeof audience === 'string' ? [audience] : [...audience];
  const key = typeof secret === 'string' ? secret : Uint8Array.from(secret);
  // `exp` has whole seconds, so every token signed within one second is the same string: sign it once.
  let last: { readonly exp: number; readonly token: string } | undefined;
  return (ctx) => {
    const expiresAt = clockOf(ctx).now() + lifetimeMs;
    const exp = Math.floor(expiresAt / 1000);
    if (last?.exp !== exp) {
      const claims: JwtClaims = aud === undefined ? { sub: spiffeId, exp } : { sub: spiffeId, aud, exp };
      last = { exp, token: signJwt(claims, key) };
    }
    return { token: last.token, expiresAt };
  };
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined || !/^[A-Za-z0-9_-]*$/.test(part)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function wellTyped(claims: Record<string, unknown>): boolean {
  const { sub, aud, exp } = claims;
  if (sub !== undefined && typeof sub !== 'string') return false;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) return false;
  if (aud === undefined || typeof aud === 'string') return true;
  return Array.isArray(aud) && aud.every((a) => typeof a === 'string');
}

/**
 * The claims of a JWT, without checking its signature (Rego's `io.jwt.decode`); undefined when `token` is not
 * a three-part JWT with JSON header and payload, or when `sub`, `aud` or `exp` have the wrong type. The claims
 * are frozen and shared by every caller that decodes the same token (as are `verifyJwt`'s).
 */
export function decodeJwt(token: string): JwtClaims | undefined {
  const known = decoded.get(token);
  if (known !== undefined || decoded.has(token)) return known;
  const parts = token.split('.');
  const header = parts.length === 3 ? decodePart(parts[0]) : undefined;
  const claims = header === undefined ? undefined : decodePart(parts[1]);
  const result = claims !== undefined && wellTyped(claims) ? deepFreeze(claims) : undefined;
  if (decoded.size >= DECODED_MAX) decoded.clear();
  decoded.set(token, result);
  return result;
}

/** Claims shared by every caller that decodes the same token: nothing in them may change. */
function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value) as unknown[]) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}

/**
 * The last tokens decoded, frozen: every hop decodes the same few tokens (one per peer per second) for each
 * call, several times per call (authorize, its policies, monitor authorization).
 */
const decoded = new Map<string, JwtClaims | undefined>();
const DECODED_MAX = 256;

/**
 * The claims of an HS256 JWT whose signature matches `secret`; undefined otherwise (including any other
 * `alg`). Expiry is not checked here: policies compare `exp` with the context's clock.
 */
export function verifyJwt(token: string, secret: string | Uint8Array): JwtClaims | undefined {
  const claims = decodeJwt(token);
  const [header, payload, sig] = token.split('.');
  if (claims === undefined || header === undefined || payload === undefined || sig === undefined) {
    return undefined;
  }
  if (decodePart(header)?.['alg'] !== 'HS256' || !/^[A-Za-z0-9_-]*$/.test(sig)) return undefined;
  const expected = signature(`${header}.${payload}`, secret);
  const actual = Buffer.from(sig, 'base64url');
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? claims : undefined;
}
