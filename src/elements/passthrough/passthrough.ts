import { composeElements } from '../../chain/compose.js';
import {
  networkServiceMethods,
  type NetworkServiceElement,
  type NetworkServiceHandler,
} from '../../chain/network-service.js';
import { replaceLabelsClient } from './replace-labels.js';
import { replaceNseNameClient } from './replace-nse-name.js';

/**
 * The client side of a passthrough endpoint: `replaceLabelsClient(labels)` then `replaceNseNameClient()`. The
 * endpoint asks the next hop with its own labels (so a service's matches can walk `step: i → step: i+1`) and
 * keeps the endpoint it reached across refreshes, while its caller sees its own labels and name.
 *
 * Where in the chain: in a passthrough endpoint's client chain, after `metadata`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/passthrough
 */
export function passthroughClient(labels: Readonly<Record<string, string>>): NetworkServiceElement {
  return composeElements<NetworkServiceHandler>(
    networkServiceMethods,
    [replaceLabelsClient(labels), replaceNseNameClient()],
    'passthrough',
  );
}
