/**
 * Checksum offload on veths (sdk-vpp turns TX and RX checksumming off on its veths, because packets that cross
 * af_packet can otherwise carry bad checksums). A pod-to-pod veth doesn't need it, so this is optional, and it
 * needs `ethtool`, which iproute2 doesn't replace: when it is not installed the call does nothing.
 * @module
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { Code } from '../chain/errors.js';
import { kernelError, KernelReason } from './errors.js';
import { checkIfName } from './args.js';

/** The path of an executable `name` (searched in PATH unless it contains `/`), or undefined. */
export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = name.includes('/') ? [''] : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const path = dir === '' ? name : join(dir, name);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export interface EthtoolOptions {
  /** Default `ethtool`, looked up in PATH. */
  readonly ethtoolPath?: string;
  /** Default `nsenter`. */
  readonly nsenterPath?: string;
}

/**
 * `ethtool -K <name> tx off rx off` inside the namespace `netnsPath` opens (undefined: this process's own).
 * Resolves false, doing nothing, when ethtool is not installed. One process per call.
 */
export async function disableChecksumOffload(
  netnsPath: string | undefined,
  name: string,
  options: EthtoolOptions = {},
): Promise<boolean> {
  const ethtool = await findExecutable(options.ethtoolPath ?? 'ethtool');
  if (ethtool === undefined) return false;
  const args = [ethtool, '-K', checkIfName(name), 'tx', 'off', 'rx', 'off'];
  const [file, ...rest] =
    netnsPath === undefined ? args : [options.nsenterPath ?? 'nsenter', `--net=${netnsPath}`, ...args];
  await new Promise<void>((resolve, reject) => {
    execFile(file ?? ethtool, rest, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else
        reject(
          kernelError(
            Code.INTERNAL,
            KernelReason.COMMAND_FAILED,
            `ethtool on ${name}: ${stderr.trim()}`,
            error,
          ),
        );
    });
  });
  return true;
}
