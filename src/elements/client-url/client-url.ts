import { withClientUrl } from '../../chain/client-url.js';
import { ConfigError } from '../../chain/errors.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

/**
 * Sets the URL of the next hop for the elements after it (`dial` reads it). With no URL it does nothing,
 * which lets a preset always include it.
 *
 * Where in the chain: before `dial`; in the client preset after `refresh`, before `clientConn` and `heal`.
 * Discovery elements (`discover`, `discoverForwarder`) set the URL themselves instead.
 * @param url the next hop, e.g. `unix:///var/lib/networkservicemesh/nsm.io.sock`; undefined for none
 * @throws ConfigError when `url` is the empty string (pass undefined for none)
 * @example
 * const client = networkServiceHandler([beginClient(), metadata(), clientUrl(url), dial({ dialer }), connectClient()]);
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/clienturl
 */
export function clientUrl(url: string | undefined): NetworkServiceElement {
  if (url === undefined) return { name: 'client-url' };
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ConfigError('client-url: url must be a non-empty string, or undefined for none');
  }
  return {
    name: 'client-url',
    request: (request, ctx, next) => next.request(request, withClientUrl(ctx, url)),
    close: (connection, ctx, next) => next.close(connection, withClientUrl(ctx, url)),
  };
}
