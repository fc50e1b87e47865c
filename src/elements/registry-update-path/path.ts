/**
 * The private registry path (Go `grpcmetadata.Path`): which hops a registration went through, carried as JSON
 * in the `path` gRPC header rather than in the registry messages.
 */
import { contextKey, type CallContext } from '../../chain/context.js';
import { invalidArgument } from '../../chain/errors.js';

/**
 * A registry path. Mutable on purpose: as in Go, the server and the client inside one hop share the object in
 * the context, and the client adopts the path the next hop sends back into it.
 */
export interface RegistryPath {
  index: number;
  segments: { token: string }[];
}

/** The gRPC header (request and response) that carries the path. */
export const pathHeader = 'path';

const pathKey = contextKey<RegistryPath>('registry-update-path/path');

/** The registry path in `ctx`, or undefined. */
export function registryPathOf(ctx: CallContext): RegistryPath | undefined {
  return ctx.value(pathKey);
}

/** `ctx` carrying `path` (Go's `grpcmetadata.PathWithContext`). */
export function withRegistryPath(ctx: CallContext, path: RegistryPath): CallContext {
  return ctx.with(pathKey, path);
}

/** Go `encoding/json` escapes these even inside strings; escaping them too keeps the bytes identical. */
const goEscapes: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** The path as Go's `json.Marshal` writes it: `{"Index":1,"PathSegments":[{"token":"…"}]}`, or `null` segments. */
export function encodePath(path: RegistryPath): string {
  const segments = path.segments.length === 0 ? null : path.segments.map(({ token }) => ({ token }));
  const json = JSON.stringify({ Index: path.index, PathSegments: segments });
  return json.replace(/[<>&\u2028\u2029]/g, (c) => goEscapes[c] ?? c);
}

/** Looks a field up the way Go's decoder does: exact name first, then case-insensitively. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function invalid(text: string): never {
  throw invalidArgument('REGISTRY_PATH_INVALID', `registry-update-path: malformed path header ${text}`);
}

/** Parses a `path` header; throws INVALID_ARGUMENT (REGISTRY_PATH_INVALID) when it is not a Go path. */
export function decodePath(text: string): RegistryPath {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    invalid(text);
  }
  if (!isObject(parsed)) invalid(text);
  const index = field(parsed, 'Index') ?? 0;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 0xffffffff) invalid(text);
  const rawSegments = field(parsed, 'PathSegments') ?? [];
  if (!Array.isArray(rawSegments)) invalid(text);
  const segments = rawSegments.map((segment: unknown) => {
    if (!isObject(segment)) invalid(text);
    const token = field(segment, 'token') ?? '';
    if (typeof token !== 'string') invalid(text);
    return { token };
  });
  return { index, segments };
}
