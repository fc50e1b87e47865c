/** Chain pieces shared by the real-kernel data-plane tests: the NSE end, the NSC request, an IPContext. */
import { ConnectionContext } from '../../src/api/gen/connectioncontext.js';
import type { Connection } from '../../src/api/gen/connection.js';
import { NetworkServiceRequest } from '../../src/api/gen/networkservice.js';
import type { NetworkServiceElement } from '../../src/chain/network-service.js';
import { kernelMechanism } from '../../src/elements/mechanisms/index.js';

export interface IpSetup {
  srcIpAddrs: string[];
  dstIpAddrs: string[];
  srcRoutes: { prefix: string; nextHop?: string }[];
  dstRoutes: { prefix: string; nextHop?: string }[];
}

export const ipv4v6: IpSetup = {
  srcIpAddrs: ['172.31.1.2/32', 'fd00::2/128'],
  dstIpAddrs: ['172.31.1.1/32', 'fd00::1/128'],
  srcRoutes: [{ prefix: '172.31.1.1/32' }, { prefix: '172.31.200.0/24' }, { prefix: 'fd00::1/128' }],
  dstRoutes: [{ prefix: '172.31.1.2/32' }, { prefix: 'fd00::2/128' }],
};

/** The NSE end of the chain: answers with its KERNEL mechanism and the IPContext its IPAM would give. */
export function fakeNse(
  nseUrl: string,
  setup: IpSetup,
  options: { name?: string; mtu?: number } = {},
): NetworkServiceElement & { closes: number } {
  const nse = {
    name: 'fake-nse',
    closes: 0,
    async request(request: NetworkServiceRequest): Promise<Connection> {
      const connection = request.connection!;
      return {
        ...connection,
        mechanism: kernelMechanism({ netnsUrl: nseUrl, interfaceName: options.name ?? 'nse-if' }),
        context: ConnectionContext.fromPartial({ ipContext: setup, MTU: options.mtu ?? 0 }),
      };
    },
    async close(): Promise<void> {
      nse.closes++;
    },
  };
  return nse;
}

export function nscRequest(id: string, nscUrl: string, name = 'nsm-1'): NetworkServiceRequest {
  return NetworkServiceRequest.fromPartial({
    connection: {
      id,
      networkService: 'kernel-test',
      path: { index: 0, pathSegments: [{ id, name: 'nsc' }] },
      mechanism: kernelMechanism({ netnsUrl: nscUrl, interfaceName: name }),
    },
  });
}
