/**
 * `token-jwt`: HS256 JWT path tokens for tests and sandboxes (Go's `sandbox.GenerateTestToken`), and the
 * decoding the authorize policies use. Not a chain element.
 * @module
 */
export {
  decodeJwt,
  jwtTokenGenerator,
  signJwt,
  verifyJwt,
  type JwtClaims,
  type JwtTokenGeneratorOptions,
} from './jwt.js';
