/**
 * gRPC call metadata as chain elements see it, without touching grpc-js: what arrived with the call (tokens,
 * the registry path), what to send with the next hop's call, what to send back as response headers, and who
 * the peer is. The api edge fills and reads these.
 * @module
 */
import { contextKey, type CallContext } from './context.js';

/** Header name → values (lower-case names, as gRPC normalizes them). */
export type CallMetadata = Readonly<Record<string, readonly string[]>>;

/** Who called, as the server edge saw it. */
export interface PeerInfo {
  /** grpc-js peer string, e.g. `127.0.0.1:53412` or `unix:/run/nsm.sock`. */
  readonly address: string;
}

const incomingKey = contextKey<CallMetadata>('grpc/incoming-metadata');
const outgoingKey = contextKey<CallMetadata>('grpc/outgoing-metadata');
const peerKey = contextKey<PeerInfo>('grpc/peer');
const responseHeadersKey = contextKey<Map<string, string>>('grpc/response-headers');
const receivedHeadersKey = contextKey<Map<string, string>>('grpc/received-headers');

/** Metadata of the incoming call (empty outside a gRPC server call). */
export function incomingMetadataOf(ctx: CallContext): CallMetadata {
  return ctx.value(incomingKey) ?? {};
}

/** The first value of an incoming header, or undefined. */
export function incomingHeader(ctx: CallContext, name: string): string | undefined {
  return incomingMetadataOf(ctx)[name.toLowerCase()]?.[0];
}

/** @internal Used by the server edge. */
export function withIncomingCall(ctx: CallContext, metadata: CallMetadata, peer: PeerInfo): CallContext {
  return ctx.with(incomingKey, metadata).with(peerKey, peer).with(responseHeadersKey, new Map());
}

export function peerOf(ctx: CallContext): PeerInfo | undefined {
  return ctx.value(peerKey);
}

/** `ctx` whose outgoing calls also carry `headers` (a header set again replaces the earlier values). */
export function withOutgoingHeaders(
  ctx: CallContext,
  headers: Readonly<Record<string, string | readonly string[]>>,
): CallContext {
  const merged: Record<string, readonly string[]> = { ...ctx.value(outgoingKey) };
  for (const [name, value] of Object.entries(headers)) {
    merged[name.toLowerCase()] = typeof value === 'string' ? [value] : value;
  }
  return ctx.with(outgoingKey, merged);
}

export function outgoingMetadataOf(ctx: CallContext): CallMetadata {
  return ctx.value(outgoingKey) ?? {};
}

/** Sets a header the server edge sends back before the response (no effect outside a server call). */
export function setResponseHeader(ctx: CallContext, name: string, value: string): void {
  ctx.value(responseHeadersKey)?.set(name.toLowerCase(), value);
}

/** @internal The response headers set during this server call. */
export function responseHeadersOf(ctx: CallContext): ReadonlyMap<string, string> {
  return ctx.value(responseHeadersKey) ?? new Map();
}

/**
 * `ctx` whose outgoing unary call records the response headers the peer sends into the returned map (the client
 * side of `setResponseHeader`).
 */
export function withReceivedHeaders(ctx: CallContext): {
  readonly ctx: CallContext;
  readonly headers: Map<string, string>;
} {
  const headers = new Map<string, string>();
  return { ctx: ctx.with(receivedHeadersKey, headers), headers };
}

/** @internal Used by the client edge. */
export function receivedHeadersSink(ctx: CallContext): Map<string, string> | undefined {
  return ctx.value(receivedHeadersKey);
}
