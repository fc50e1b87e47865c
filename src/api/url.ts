/**
 * NSM endpoint URLs: `unix:///path/to.sock`, `tcp://host:port`, and the scheme-less `host:port` form NSM
 * manifests use. An empty host (`:5001`) listens on every address, as Go's `net.Listen` does.
 * @module
 */
import { invalidArgument } from '../chain/errors.js';

export type NsmAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

function parseHostPort(text: string, original: string): NsmAddress {
  const match = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw invalidArgument(
      'URL_INVALID',
      `url: "${original}" is not unix:///path, tcp://host:port or host:port`,
    );
  }
  return { kind: 'tcp', host: match[1] ?? match[2] ?? '', port };
}

/** Parses an NSM URL; throws a StatusError (INVALID_ARGUMENT, reason URL_INVALID) for anything else. */
export function parseNsmUrl(url: string): NsmAddress {
  const text = url.trim();
  if (text.startsWith('unix://')) {
    const path = decodeURIComponent(text.slice('unix://'.length));
    if (!path.startsWith('/'))
      throw invalidArgument('URL_INVALID', `url: "${url}" must be unix:///absolute/path`);
    return { kind: 'unix', path };
  }
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path === '') throw invalidArgument('URL_INVALID', `url: "${url}" has no socket path`);
    return { kind: 'unix', path };
  }
  if (text.startsWith('tcp://')) return parseHostPort(text.slice('tcp://'.length).replace(/\/$/, ''), url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw invalidArgument('URL_INVALID', `url: unsupported scheme in "${url}" (use unix:// or tcp://)`);
  }
  return parseHostPort(text, url);
}

const bracket = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** The target string grpc-js dials or binds. An empty tcp host binds every address and dials loopback. */
export function grpcTarget(address: NsmAddress, purpose: 'dial' | 'bind'): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const host = address.host === '' ? (purpose === 'bind' ? '0.0.0.0' : '127.0.0.1') : address.host;
  return `${bracket(host)}:${address.port}`;
}

/** The canonical URL form: `unix:///path` or `tcp://host:port`. */
export function formatNsmUrl(address: NsmAddress): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  return `tcp://${bracket(address.host)}:${address.port}`;
}
