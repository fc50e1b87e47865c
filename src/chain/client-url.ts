/**
 * The URL of the next hop, carried in the context (Go's `clienturlctx`). Discovery elements set it
 * (`discover`, `roundrobin`, `discoverforwarder`, `clienturl`); `dial` reads it.
 * @module
 */
import { contextKey, type CallContext } from './context.js';

const clientUrlKey = contextKey<string>('client-url');

export function clientUrlOf(ctx: CallContext): string | undefined {
  return ctx.value(clientUrlKey);
}

export function withClientUrl(ctx: CallContext, url: string): CallContext {
  return ctx.with(clientUrlKey, url);
}
