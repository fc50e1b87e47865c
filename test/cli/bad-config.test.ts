/**
 * The CLI as a user meets it: readable one-line errors with exit code 2 for bad configuration (never a stack
 * trace), exit 1 for a failed startup, help on stdout, and a clean exit when stopped during startup or idle.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NsmProcess } from './helpers/processes.js';

const cli = suite('cli: errors, help and stops as a user sees them');
const started: NsmProcess[] = [];

function run(args: readonly string[], env: Record<string, string> = {}): NsmProcess {
  const child = new NsmProcess(args.join(' '), args, env);
  started.push(child);
  return child;
}

cli.after(() => {
  for (const child of started) child.kill();
});

/** The process's exit code and the last line of its stderr, checked to hold no stack trace. */
async function outcome(p: NsmProcess): Promise<{ code: number | null; last: string }> {
  const { code } = await p.exitWithin(15_000);
  assert.not.match(p.stderr, /\n\s+at /, `${p.label}: a stack trace`);
  const lines = p.stderr.trimEnd().split('\n');
  return { code, last: lines[lines.length - 1] ?? '' };
}

cli('bad configuration: one readable line, exit code 2', async () => {
  const cases: [NsmProcess, string][] = [
    [
      run(['nsmgr'], { NSM_DIAL_TIMEOUT: 'abc' }),
      'nsm nsmgr: NSM_DIAL_TIMEOUT: "abc" is not a duration (e.g. 750ms, 10s)',
    ],
    [
      run(['nsc'], { NSM_CONNECT_TO: 'unix:///tmp/nsm-none.sock' }),
      'nsm nsc: NSM_NETWORK_SERVICES is required (e.g. kernel://icmp-responder/nsm-1, kernel://my-service/nsm-2?app=web)',
    ],
    [
      run(['nse-icmp-responder', '--cidr-prefix', '10.0.0.0/33']),
      'nsm nse-icmp-responder: --cidr-prefix: "10.0.0.0/33" has "10.0.0.0/33", which is not a CIDR (e.g. 169.254.0.0/16, [10.0.0.0/24,fd00::/120],172.16.0.0/16)',
    ],
    [run(['registry', '--listen'], {}), 'nsm registry: unknown option --listen (see nsm registry --help)'],
    [
      run(['nsmgr'], { NSM_LOG_LEVEL: 'verbose' }),
      'nsm nsmgr: NSM_LOG_LEVEL: "verbose" is not a log level (e.g. TRACE, DEBUG, INFO, WARN, ERROR)',
    ],
    [run(['bogus']), 'nsm: unknown command "bogus"'],
    [
      run(['forwarder'], { NSM_CONNECT_TO: 'unix:///tmp/nsm-none.sock' }),
      'nsm forwarder: NSM_TUNNEL_IP is required by the kernel data plane (e.g. 10.0.0.1)',
    ],
  ];
  for (const [p, expected] of cases) {
    const { code, last } = await outcome(p);
    assert.is(code, 2, p.label);
    if (p.label === 'bogus') assert.match(p.stderr, expected);
    else assert.is(last, expected, p.label);
  }
});

cli('a startup that fails: a readable line, exit code 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsm-bad-'));
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, '');
  try {
    // The socket's directory cannot be made: a file is in the way.
    const p = run(['registry'], { NSM_LISTEN_ON: `unix://${file}/registry.sock` });
    const { code, last } = await outcome(p);
    assert.is(code, 1);
    assert.is(last, `nsm registry: EEXIST: file already exists, mkdir '${file}'`);
    assert.ok(p.lines.some((l) => l.level === 'error' && l.msg === 'startup failed'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

cli('help: `nsm --help` and `nsm <command> --help` list the variables with defaults', async () => {
  const top = run(['--help']);
  const nsmgr = run(['nsmgr', '--help']);
  assert.equal(await top.exitWithin(15_000), { code: 0, signal: null });
  assert.equal(await nsmgr.exitWithin(15_000), { code: 0, signal: null });
  for (const name of ['registry', 'nsmgr', 'forwarder', 'nse-icmp-responder', 'nsc', 'demo']) {
    assert.match(top.stdout, `  ${name} `);
  }
  assert.match(top.stdout, 'NSM_DIAL_TIMEOUT=750ms');
  assert.match(top.stdout, 'NSM_NETWORK_SERVICES=(required)');
  assert.match(nsmgr.stdout, 'NSM_REGISTRY_URL  --registry-url <URL>  default: "tcp://localhost:5001"');
});

cli('SIGTERM while still starting (the nsmgr is not there): exit 0, no startup line', async () => {
  const nsc = run(['nsc'], {
    NSM_CONNECT_TO: 'unix:///tmp/nsm-none/nsm.sock',
    NSM_NETWORK_SERVICES: 'kernel://icmp-responder',
    NSM_REQUEST_TIMEOUT: '1s',
  });
  await nsc.waitForMessage('starting');
  nsc.signal('SIGTERM');
  assert.equal(await nsc.exitWithin(5_000), { code: 0, signal: null });
  assert.not.ok(nsc.lines.some((l) => l.msg?.startsWith('startup completed')));
  assert.ok(nsc.lines.some((l) => l.msg === 'stopped'));
});

cli('the endpoint exits by itself after NSM_IDLE_TIMEOUT with no connection', async () => {
  const nse = run(['nse-icmp-responder'], {
    NSM_NAME: 'idle-nse',
    NSM_CONNECT_TO: 'unix:///tmp/nsm-none/nsm.sock',
    NSM_IDLE_TIMEOUT: '300ms',
  });
  assert.equal(await nse.exitWithin(10_000), { code: 0, signal: null });
  assert.ok(nse.lines.some((l) => l.msg === 'exit requested (idle timeout)'));
});

cli.run();
