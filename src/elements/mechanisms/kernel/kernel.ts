import { randomInt } from 'node:crypto';
import { cloneMessage } from '../../../api/clone.js';
import type { Mechanism } from '../../../api/gen/connection.js';
import { Code, StatusError } from '../../../chain/errors.js';
import type { NetworkServiceElement } from '../../../chain/network-service.js';
import { KERNEL_NETNS_URL, LINUX_IF_MAX_LENGTH } from '../constants.js';
import { kernelMechanism, toKernel, type KernelMechanism } from './kernel-mechanism.js';

/** Options of `kernelClient` and `kernelServer`. */
export interface KernelOptions {
  /** Interface name for mechanisms without one, cut to 15 characters. Default: generated per connection. */
  readonly interfaceName?: string;
  /**
   * Makes a name from the network service name when `interfaceName` is not given.
   * Default: {@link generateInterfaceName}.
   */
  readonly interfaceNameGenerator?: (networkService: string) => string;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A Linux interface name of exactly 15 characters: the first 10 characters of `networkService`, `-`, and
 * random characters from `[0-9A-Za-z]` (Go `nanoid.GenerateLinuxInterfaceName`).
 */
export function generateInterfaceName(
  networkService: string,
  random: (limit: number) => number = randomInt,
): string {
  const prefix = networkService.slice(0, LINUX_IF_MAX_LENGTH - 5);
  let id = '';
  while (prefix.length + 1 + id.length < LINUX_IF_MAX_LENGTH) id += ALPHABET[random(ALPHABET.length)] ?? '0';
  return `${prefix}-${id}`;
}

type NameSource = (networkService: string) => string;

function nameSource(options: KernelOptions): NameSource {
  const fixed = options.interfaceName?.slice(0, LINUX_IF_MAX_LENGTH);
  if (fixed !== undefined && fixed !== '') return () => fixed;
  const generate = options.interfaceNameGenerator ?? ((ns: string) => generateInterfaceName(ns));
  return (ns) => {
    try {
      return generate(ns);
    } catch (error) {
      throw new StatusError(Code.INTERNAL, 'mechanisms/kernel: failed to generate an interface name', {
        reason: 'MECHANISMS_INTERFACE_NAME_FAILED',
        cause: error,
      });
    }
  };
}

/** Sets the netns URL and, when empty, the interface name, on a mechanism the caller owns. */
function fill(view: KernelMechanism, networkService: string, name: NameSource): Mechanism {
  view.netnsUrl = KERNEL_NETNS_URL;
  if (view.interfaceName === '') view.interfaceName = name(networkService);
  return view.mechanism;
}

/**
 * Client side of the KERNEL mechanism: on every KERNEL preference, sets `inodeURL` to this thread's netns
 * (`file:///proc/thread-self/ns/net`) and fills an empty interface name (the `interfaceName` option cut to 15,
 * or a generated one); adds a LOCAL KERNEL preference when the request has none.
 *
 * Where in the chain: inside `mechanismsClient({ KERNEL: kernelClient() })`, or directly in an NSC chain.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanisms/kernel
 */
export function kernelClient(options: KernelOptions = {}): NetworkServiceElement {
  const name = nameSource(options);
  return {
    name: 'mechanisms/kernel',
    async request(request, ctx, next) {
      const networkService = request.connection?.networkService ?? '';
      let found = false;
      const mechanismPreferences = request.mechanismPreferences.map((preference) => {
        const view = toKernel(cloneMessage(preference));
        if (view === undefined) return preference;
        found = true;
        return fill(view, networkService, name);
      });
      if (!found) {
        const added = kernelMechanism({ netnsUrl: KERNEL_NETNS_URL, interfaceName: name(networkService) });
        mechanismPreferences.push(added);
      }
      return next.request({ ...request, mechanismPreferences }, ctx);
    },
  };
}

/**
 * Server side of the KERNEL mechanism: when the chosen mechanism is KERNEL, sets `inodeURL` to this thread's
 * netns and fills an empty interface name (the option cut to 15, or generated). Other mechanisms pass through.
 *
 * Where in the chain: inside `mechanismsServer({ KERNEL: kernelServer() })`.
 * @see https://github.com/networkservicemesh/sdk/tree/main/pkg/networkservice/common/mechanisms/kernel
 */
export function kernelServer(options: KernelOptions = {}): NetworkServiceElement {
  const name = nameSource(options);
  return {
    name: 'mechanisms/kernel',
    async request(request, ctx, next) {
      const connection = request.connection;
      const view = toKernel(connection?.mechanism && cloneMessage(connection.mechanism));
      if (connection === undefined || view === undefined) return next.request(request, ctx);
      const mechanism = fill(view, connection.networkService, name);
      return next.request({ ...request, connection: { ...connection, mechanism } }, ctx);
    },
  };
}
