/**
 * `nsm demo`: a registry, an nsmgr and a forwarder per node, an icmp-responder endpoint and a client, each a
 * separate `nsm` process; the pods are network namespaces (`nsm-demo-<id>-nsc`, `-nse`), and with `--nodes 2`
 * so are the nodes, joined by an underlay veth. It shows the processes coming up, then the connection live
 * (path, mechanism, interfaces, addresses, ping) until Ctrl-C, and then removes everything. `--once` connects,
 * pings both ways, prints one summary line and removes everything; its exit code says whether traffic flowed.
 * Without root (or without `ip netns`) the same processes run with a recording data plane, and it says so.
 * @module
 */
import { ConfigProblem } from '../config/index.js';
import { DemoRun, type DemoIo, type DemoOptions } from './demo/run.js';

export type { DemoIo, DemoOptions } from './demo/run.js';

export const DEMO_USAGE = `usage: nsm demo [--nodes 1|2] [--once [--verbose]] [--logs DIR]

Starts a registry, an nsmgr, a forwarder, an icmp-responder endpoint and a client as separate processes,
with the client's and the endpoint's pods as network namespaces (nsm-demo-<id>-nsc, -nse), shows them coming
up, then the connection live (path, mechanism, interfaces, addresses, ping RTT) until Ctrl-C, and removes
everything. --nodes 2 puts the endpoint on a second node: two more namespaces as nodes joined by an underlay
veth (172.30.0.0/30), an nsmgr and a forwarder in each, VXLAN between them.

--once      connect, ping both ways, print one summary line, remove everything; exit 0 only if traffic flowed
--verbose   with --once: progress lines on stderr
--logs DIR  write each process's log (JSON lines) to DIR/<name>.log

Needs root for the namespaces and interfaces; without it the same processes run with a data plane that only
records what it would do (no interfaces, no ping).
`;

/** The options in `args`; throws ConfigProblem for anything else. */
export function demoOptions(args: readonly string[]): DemoOptions {
  let nodes: 1 | 2 = 1;
  let once = false;
  let verbose = false;
  let logs: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const value = (): string => inline ?? args[++i] ?? '';
    if (flag === '--once') once = true;
    else if (flag === '--verbose' || flag === '-v') verbose = true;
    else if (flag === '--nodes') {
      const n = value();
      if (n !== '1' && n !== '2') throw new ConfigProblem(`--nodes takes 1 or 2, not "${n}"`);
      nodes = n === '1' ? 1 : 2;
    } else if (flag === '--logs') {
      logs = value();
      if (logs === '') throw new ConfigProblem('--logs takes a directory');
    } else throw new ConfigProblem(`unknown option ${arg} (see nsm demo --help)`);
  }
  return { nodes, once, verbose, logs };
}

/**
 * A second signal within this long of the first is the same Ctrl-C: a terminal signals the whole foreground
 * group, and a launcher in it (tsx, npm) passes the signal on to this process as well.
 */
const REPEAT_MS = 1_000;

/** Ctrl-C (or SIGTERM) once aborts `run.stop`; again, `run.force` too. Returns the uninstaller. */
function interrupts(run: DemoRun): () => void {
  let first = 0;
  const onSignal = (): void => {
    if (!run.stop.signal.aborted) {
      first = performance.now();
      run.say('\nstopping (Ctrl-C again to kill everything at once)');
      run.stop.abort();
    } else if (performance.now() - first > REPEAT_MS) run.force.abort();
  };
  const killOnExit = (): void => run.children.forEach((c) => c.kill());
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killOnExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killOnExit);
  };
}

/** Runs the demo; resolves the exit code. */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<number> {
  const run = new DemoRun(options, io);
  const uninstall = interrupts(run);
  let outcome = { text: '', ok: false };
  try {
    const connected = await run.start();
    if (options.once) outcome = await run.check(connected);
    else {
      await run.live(connected);
      outcome = { text: 'stopped', ok: true };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const interrupted = run.stop.signal.aborted;
    if (!interrupted) io.stderr(`nsm demo: ${message}\n`);
    const why = interrupted ? 'interrupted while starting' : `FAILED: ${message.split('\n')[0] ?? ''}`;
    outcome = { text: `${run.where}: ${why}`, ok: interrupted && !options.once };
  }
  const { summary, clean } = await run.tearDown();
  uninstall();
  if (options.once) io.stdout(`demo: ${outcome.text}; ${summary}\n`);
  else run.say(`  ${summary}${clean ? '; nothing left' : ''}`);
  return outcome.ok && clean ? 0 : 1;
}

/** `nsm demo ...args`: the exit code. */
export async function demoCommand(args: readonly string[], io: DemoIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(DEMO_USAGE);
    return 0;
  }
  return runDemo(demoOptions(args), io);
}
