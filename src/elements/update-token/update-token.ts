import type { Timestamp } from '../../api/gen/google/protobuf/timestamp.js';
import { Connection, type PathSegment } from '../../api/gen/connection.js';
import { parseRfc3339, timestampFromMs } from '../../api/timestamp.js';
import { incomingMetadataOf } from '../../chain/call-metadata.js';
import type { CallContext } from '../../chain/context.js';
import { Code, ConfigError, invalidArgument, isStatusError, StatusError } from '../../chain/errors.js';
import { loggerOf } from '../../chain/logger.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';
import {
  clientTokenExpiresHeader,
  clientTokenHeader,
  type IssuedToken,
  type TokenGenerator,
} from '../../chain/token.js';

type Presented = { readonly token: string; readonly expires: Timestamp } | { readonly problem: string };

function single(ctx: CallContext, name: string): string | { readonly problem: string } {
  const values = incomingMetadataOf(ctx)[name] ?? [];
  if (values.length !== 1) return { problem: `header ${name} has ${values.length} values, expected 1` };
  return values[0] as string;
}

/** The token the caller presented with this call (Go `token.FromContext`). */
function presentedToken(ctx: CallContext): Presented {
  const token = single(ctx, clientTokenHeader);
  if (typeof token !== 'string') return token;
  const raw = single(ctx, clientTokenExpiresHeader);
  if (typeof raw !== 'string') return raw;
  const expires = parseRfc3339(raw);
  if (expires === undefined) return { problem: `header ${clientTokenExpiresHeader} is not RFC 3339: ${raw}` };
  return { token, expires };
}

function issue(generator: TokenGenerator, ctx: CallContext): IssuedToken {
  try {
    return generator(ctx);
  } catch (error) {
    if (isStatusError(error)) throw error;
    throw new StatusError(Code.INTERNAL, 'update-token: failed to generate a token', {
      reason: 'UPDATETOKEN_GENERATE_FAILED',
      cause: error,
    });
  }
}

/** A copy of `conn` whose previous segment holds the caller's token and current segment a fresh one. */
function withTokens(conn: Connection, ctx: CallContext, generator: TokenGenerator): Connection {
  const path = conn.path;
  const index = path?.index ?? 0;
  const current = path?.pathSegments[index];
  if (path === undefined || current === undefined) {
    throw invalidArgument(
      'UPDATETOKEN_INDEX_OUT_OF_RANGE',
      `update-token: path index ${index} is out of range of ${path?.pathSegments.length ?? 0} path segments`,
    );
  }
  const pathSegments: PathSegment[] = [...path.pathSegments];
  const prev = index > 0 ? pathSegments[index - 1] : undefined;
  if (prev !== undefined) {
    const presented = presentedToken(ctx);
    if ('problem' in presented) {
      loggerOf(ctx).log('warn', 'update-token: no usable token from the caller', {
        reason: presented.problem,
      });
    } else {
      pathSegments[index - 1] = { ...prev, token: presented.token, expires: presented.expires };
    }
  }
  const own = issue(generator, ctx);
  pathSegments[index] = { ...current, token: own.token, expires: timestampFromMs(own.expiresAt) };
  return { ...conn, path: { ...path, pathSegments } };
}

export function updateTokenElement(generator: TokenGenerator): NetworkServiceElement {
  if (typeof generator !== 'function') {
    throw new ConfigError('update-token: a token generator function is required');
  }
  return {
    name: 'update-token',
    async request(request, ctx, next) {
      const connection = request.connection ?? Connection.create();
      return next.request({ ...request, connection: withTokens(connection, ctx, generator) }, ctx);
    },
    async close(conn, ctx, next) {
      return next.close(withTokens(conn, ctx, generator), ctx);
    },
  };
}
