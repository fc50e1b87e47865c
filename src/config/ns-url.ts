/**
 * Network service URLs, as an NSC is told what to request (Go `nsurl`):
 * `<mechanism>://<service>[/<interface name>][?label=value&...]`, and `<service>@<domain>` for another domain,
 * e.g. `kernel://icmp-responder/nsm-1?app=web`.
 * @module
 */

/** What one network service URL asks for. */
export interface NetworkServiceUrl {
  /** The URL as given. */
  readonly url: string;
  /** The mechanism type: the scheme, upper-cased (`KERNEL`). */
  readonly mechanism: string;
  /** The service name; `name@domain` when the URL has a user part. */
  readonly networkService: string;
  /** The last path segment (the interface name in the client's namespace); undefined without a path. */
  readonly interfaceName: string | undefined;
  /** The query, as connection labels (repeated keys joined with `,`). */
  readonly labels: Readonly<Record<string, string>>;
}

/** Linux interface names are at most 15 bytes. */
const IFNAMSIZ_1 = 15;

/** Parses one URL; returns a problem phrase instead when it is not one. */
export function parseNetworkServiceUrl(text: string): NetworkServiceUrl | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'is not a URL' };
  }
  const scheme = url.protocol.slice(0, -1);
  const host = decodeURIComponent(url.hostname);
  if (host === '') return { problem: 'has no network service name' };
  const user = decodeURIComponent(url.username);
  const segments = url.pathname === '' ? [] : url.pathname.split('/');
  const interfaceName =
    segments.length > 1 ? decodeURIComponent(segments[segments.length - 1] ?? '') : undefined;
  if (interfaceName !== undefined && interfaceName.length > IFNAMSIZ_1) {
    return { problem: `has interface name "${interfaceName}", longer than ${IFNAMSIZ_1} characters` };
  }
  const labels: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) labels[key] = url.searchParams.getAll(key).join(',');
  return {
    url: text,
    mechanism: scheme.toUpperCase(),
    networkService: user === '' ? host : `${user}@${host}`,
    interfaceName,
    labels,
  };
}
