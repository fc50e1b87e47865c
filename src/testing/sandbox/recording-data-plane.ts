/**
 * The sandbox forwarders' data plane: it records what a real one would do (wire up on Request, tear down on
 * Close) instead of touching the kernel, so control-plane tests can assert on it and on leaks.
 */
import type { Connection } from '../../api/gen/connection.js';
import type { NetworkServiceElement } from '../../chain/network-service.js';

export interface DataPlaneRecord {
  readonly op: 'up' | 'down';
  readonly connectionId: string;
  readonly networkService: string;
  readonly mechanism: string | undefined;
}

export interface RecordingDataPlane extends NetworkServiceElement {
  readonly records: readonly DataPlaneRecord[];
  /** Connection ids currently wired. */
  readonly live: ReadonlySet<string>;
}

export function recordingDataPlane(): RecordingDataPlane {
  const records: DataPlaneRecord[] = [];
  const live = new Set<string>();
  const record = (op: 'up' | 'down', connection: Connection): void => {
    records.push({
      op,
      connectionId: connection.id,
      networkService: connection.networkService,
      mechanism: connection.mechanism?.type,
    });
  };
  return {
    name: 'recording-data-plane',
    records,
    live,
    async request(request, ctx, next) {
      const connection = await next.request(request, ctx);
      live.add(connection.id);
      record('up', connection);
      return connection;
    },
    async close(connection, ctx, next) {
      try {
        await next.close(connection, ctx);
      } finally {
        if (live.delete(connection.id)) record('down', connection);
      }
    },
  };
}
