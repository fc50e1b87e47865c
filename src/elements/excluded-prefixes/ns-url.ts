/**
 * NS URLs of awareness groups (`mechanism-type://ns-name[/ifname][?labels]`) and the matching key of a request,
 * compared in a canonical form (lower-case scheme, query sorted).
 * @module
 */
import type { NetworkServiceRequest } from '../../api/gen/networkservice.js';
import { ConfigError } from '../../chain/errors.js';

/** A canonical key for an NS URL: scheme, host, path and the query sorted. */
function nsKey(scheme: string, host: string, path: string, query: Iterable<[string, string]>): string {
  const sorted = [...query].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
  return JSON.stringify([scheme.toLowerCase(), host, path, sorted]);
}

export function configuredKey(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigError(`excludedPrefixesClient: "${text}" is not an NS URL`, { cause: error });
  }
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
  const host = user + decodeURIComponent(url.host);
  return nsKey(url.protocol.slice(0, -1), host, decodeURIComponent(url.pathname), url.searchParams);
}

export function requestKey(request: NetworkServiceRequest): string {
  const connection = request.connection;
  const mechanism = connection?.mechanism ?? request.mechanismPreferences[0];
  const ifname = mechanism?.parameters['name'] ?? '';
  const path = ifname === '' ? '' : `/${ifname}`;
  return nsKey(
    mechanism?.type ?? '',
    connection?.networkService ?? '',
    path,
    Object.entries(connection?.labels ?? {}),
  );
}
