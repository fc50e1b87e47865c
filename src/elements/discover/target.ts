/**
 * Where a connection's last successful Request went, kept in its server metadata so that Close reaches the
 * same endpoint without asking the registry again (Go looks it up on every Close: two extra round trips
 * through an nsmgr, and a Close that fails when the registry is down).
 * @module
 */
import type { CallContext } from '../../chain/context.js';
import { Code } from '../../chain/errors.js';
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
 * Close through the remembered URL when there is one; if that peer is gone (UNAVAILABLE), `lookup` finds the
 * current URL (a restarted peer may listen elsewhere) and Close goes there instead, so what lies behind it is
 * still freed. Without a remembered URL, Close goes wherever `lookup` says (undefined: no URL).
 */
export async function closeVia<T>(
  ctx: CallContext,
  remembered: string | undefined,
  lookup: () => Promise<string | undefined>,
  close: (url: string | undefined) => Promise<T>,
): Promise<T> {
  if (remembered === undefined) return close(await lookup());
  try {
    return await close(remembered);
  } catch (error) {
    if (ctx.signal.aborted || (error as { code?: unknown }).code !== Code.UNAVAILABLE) throw error;
    const current = await lookup();
    if (current === undefined || current === remembered) throw error;
    return close(current);
  }
}
