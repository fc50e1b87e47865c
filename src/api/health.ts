/**
 * A client for `grpc.health.v1.Health/Check`, the probe Kubernetes and `grpc-health-probe` use. The two
 * one-field messages are encoded here directly rather than generated.
 * @module
 */
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import type { CallContext } from '../chain/context.js';
import type { NsmConnection } from './client.js';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const statuses: readonly ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

const check = {
  path: '/grpc.health.v1.Health/Check',
  requestSerialize: (service: string): Buffer => {
    const writer = new BinaryWriter();
    if (service !== '') writer.uint32(10).string(service);
    return Buffer.from(writer.finish());
  },
  responseDeserialize: (bytes: Buffer): ServingStatus => {
    const reader = new BinaryReader(bytes);
    let status = 0;
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1) status = reader.int32();
      else reader.skip(wireType);
    }
    return statuses[status] ?? 'UNKNOWN';
  },
};

/** The serving status of `service` (`''` for the whole server); a NOT_FOUND answer rejects with a StatusError. */
export function checkHealth(conn: NsmConnection, service: string, ctx: CallContext): Promise<ServingStatus> {
  return conn.unary(check, service, ctx);
}
