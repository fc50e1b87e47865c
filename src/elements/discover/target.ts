/**
 * Where a connection's last successful Request went, kept in its server metadata so that Close can still
 * reach it when the registry cannot say (Go then closes without a URL, and what lies behind stays until it
 * expires).
 * @module
 */
import type { CallContext } from '../../chain/context.js';
import { connectionMetadataKey, metadataKey } from '../../chain/metadata.js';

interface Target {
  readonly name: string;
  readonly url: string;
}

const targetKey = metadataKey<Target>('discover/target');

/** Records that the connection reached endpoint `name` at `url` (a no-op without a `metadata` element). */
export function rememberTarget(ctx: CallContext, name: string, url: string): void {
  if (name === '' || url === '') return;
  ctx.value(connectionMetadataKey)?.server.set(targetKey, { name, url });
}

/** The URL recorded for endpoint `name`, if the last Request of this connection went there. */
export function rememberedUrl(ctx: CallContext, name: string): string | undefined {
  const target = ctx.value(connectionMetadataKey)?.server.get(targetKey);
  return target?.name === name ? target.url : undefined;
}

/**
 * Where a Close goes: the endpoint's current URL from `lookup` (a peer may have restarted elsewhere; with the
 * presets' query cache this is a cache hit), else the URL the Request reached (so a registry that is down or
 * has dropped the entry still lets Close reach what the Request set up), else nowhere (undefined).
 */
export async function closeTarget(
  remembered: string | undefined,
  lookup: () => Promise<string | undefined>,
): Promise<string | undefined> {
  return (await lookup()) ?? remembered;
}
