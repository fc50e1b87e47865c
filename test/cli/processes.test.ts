/**
 * End to end with real processes: registry, nsmgr, forwarder (recording data plane), nse-icmp-responder and
 * nsc started from the CLI on unix sockets; the nsc gets a connection through all of them; every process then
 * stops cleanly on SIGTERM and leaves no socket, temp dir or process behind.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dial } from '../../src/api/client.js';
import { checkHealth } from '../../src/api/health.js';
import { parseNsmUrl } from '../../src/api/url.js';
import { withCancel } from '../../src/chain/cancel.js';
import { CallContext } from '../../src/chain/context.js';
import { NsmProcess, processesWithEnv, type LogLine } from './helpers/processes.js';

const mesh = suite('cli: a mesh of nsm processes');

const dir = mkdtempSync(join(tmpdir(), 'nsm-e2e-'));
const tag = randomUUID();
const sock = (name: string): string => `unix://${join(dir, `${name}.sock`)}`;
const started: NsmProcess[] = [];

function start(label: string, args: readonly string[], env: Record<string, string>): NsmProcess {
  const child = new NsmProcess(label, args, { ...env, NSM_E2E_TAG: tag, NSM_LOG_LEVEL: 'INFO' });
  started.push(child);
  return child;
}

const startup = (p: NsmProcess): Promise<LogLine> => p.waitForMessage('startup completed in ');

mesh.after(() => {
  for (const child of started) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function healthOf(url: string): Promise<string> {
  const conn = dial(url);
  const scope = withCancel(CallContext.background(), 5_000);
  try {
    return await checkHealth(conn, '', scope.ctx);
  } finally {
    scope.cancel();
    conn.close();
  }
}

const socketsIn = (path: string): string[] =>
  readdirSync(path, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.sock') || f.endsWith('listen.on'),
  );

mesh('connect through registry, nsmgr, forwarder and endpoint, then stop everything cleanly', async () => {
  const registry = start('registry', ['registry'], { NSM_LISTEN_ON: sock('registry') });
  const nsmgr = start('nsmgr', ['nsmgr'], {
    NSM_NAME: 'nsmgr-1',
    NSM_LISTEN_ON: sock('nsmgr'),
    NSM_REGISTRY_URL: sock('registry'),
  });
  await Promise.all([startup(registry), startup(nsmgr)]);
  registry.signal('SIGUSR1');
  await registry.waitForMessage('log level set to TRACE');
  registry.signal('SIGUSR2');
  await registry.waitForMessage('log level set to INFO');

  const forwarder = start('forwarder', ['forwarder', '--dataplane', 'record'], {
    NSM_NAME: 'forwarder-1',
    NSM_CONNECT_TO: sock('nsmgr'),
    NSM_LISTEN_ON: sock('forwarder'),
  });
  const nse = start('nse', ['nse-icmp-responder'], {
    NSM_NAME: 'nse-1',
    NSM_CONNECT_TO: sock('nsmgr'),
    NSM_SERVICE_NAMES: 'icmp-responder',
    NSM_CIDR_PREFIX: '172.16.1.100/31,[fd00::10/127]',
    NSM_UNREGISTER_ITSELF: 'true',
  });
  await Promise.all([startup(forwarder), startup(nse)]);
  const nseListen = (await nse.waitForMessage('listening on ')).msg!.slice('listening on '.length);
  for (const url of [sock('registry'), sock('nsmgr'), sock('forwarder'), nseListen]) {
    assert.is(await healthOf(url), 'SERVING', url);
  }

  const nscEnv = {
    NSM_NAME: 'nsc-1',
    NSM_CONNECT_TO: sock('nsmgr'),
    NSM_NETWORK_SERVICES: 'kernel://icmp-responder/nsm-1',
  };
  const first = start('nsc (killed)', ['nsc'], nscEnv);
  const connected = await first.waitForMessage('connected to icmp-responder');
  const connection = connected['connection'] as Record<string, unknown>;
  assert.equal(connection['path'], ['nsc-1', 'nsmgr-1', 'forwarder-1', 'nse-1']);
  assert.is(connection['id'], 'nsc-1-0');
  assert.is(connection['mechanism'], 'KERNEL');
  assert.is(connection['interface'], 'nsm-1');
  assert.equal(connection['srcIps'], ['172.16.1.101/32', 'fd00::11/128']);
  assert.equal(connection['dstIps'], ['172.16.1.100/32', 'fd00::10/128']);
  await forwarder.waitForMessage('data plane: wired');

  // A client that dies and comes back under the same name takes its connection back.
  first.signal('SIGKILL');
  await first.exitWithin(5_000);
  const nsc = start('nsc', ['nsc'], nscEnv);
  await nsc.waitForMessage('taking back nsc-1-0');
  const again = (await nsc.waitForMessage('connected to icmp-responder'))['connection'];
  assert.equal(again, connection);
  await startup(nsc);
  assert.is(forwarder.lines.filter((l) => l.msg?.startsWith('data plane: wired')).length, 1);

  // The client first: its Close goes through the mesh and unwires the data plane.
  nsc.signal('SIGTERM');
  assert.equal(await nsc.exitWithin(5_000), { code: 0, signal: null });
  await nsc.waitForMessage('closed nsc-1-0');
  await forwarder.waitForMessage('data plane: unwired');
  // Then the endpoint, which unregisters itself while its nsmgr is still there.
  nse.signal('SIGTERM');
  assert.equal(await nse.exitWithin(5_000), { code: 0, signal: null });
  await nse.waitForMessage('unregistered nse-1');
  // Then the rest at once.
  for (const p of [forwarder, nsmgr, registry]) p.signal('SIGTERM');
  const exits = await Promise.all([forwarder, nsmgr, registry].map((p) => p.exitWithin(5_000)));
  for (const exit of exits) assert.equal(exit, { code: 0, signal: null });

  for (const p of started.filter((c) => c !== first)) {
    const errors = p.lines.filter((l) => l.level === 'error' || l.level === 'raw');
    assert.equal(errors, [], `${p.label} logged errors`);
    assert.not.match(p.stderr, 'still running', `${p.label} held open handles`);
    assert.ok(
      p.lines.some((l) => l.msg === 'stopped'),
      `${p.label} logged its stop`,
    );
  }
  assert.equal(socketsIn(dir), [], 'socket files left');
  const nseDir = dirname(parseNsmUrl(nseListen).kind === 'unix' ? nseListen.slice('unix://'.length) : '');
  assert.not.ok(existsSync(nseDir), `the endpoint's temp dir ${nseDir} is left`);
  assert.equal(processesWithEnv('NSM_E2E_TAG', tag), [], 'processes left');
});

mesh.run();
