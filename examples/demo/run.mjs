// `npm run demo`: the flaky downstream and the demo service, side by side, in this terminal.
//
//   demo service   http://127.0.0.1:8080/          (PORT)        a quote, or the cached one
//                  http://127.0.0.1:8080/health                  breakwater's health report
//                  http://127.0.0.1:8080/breakers                every breaker's state
//   metrics        http://127.0.0.1:9464/metrics   (OTEL_EXPORTER_PROMETHEUS_PORT)
//   downstream     http://127.0.0.1:8090/quote     (DOWNSTREAM_PORT): 20 s healthy, 10 s failing
//                  (FLAKY_HEALTHY_MS, FLAKY_FAILING_MS); a steady one on STEADY_PORT (8092)
//
// Watch the console: the downstream announces its phases and the service each breaker's state.
// Ctrl-C (or SIGTERM, to this process or to npm) stops both. For the dashboards, see README "See it in Grafana".
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const host = process.env.HOST ?? '127.0.0.1';
const children = [];
let stopping = false;

/** Starts `node script`, prefixing its output with `[name]`; `onLine` sees each line. */
function start(name, script, env, onLine = () => {}) {
  const child = spawn(process.execPath, [here(script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8').on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        console.log(`[${name}] ${line}`);
        onLine(line);
      }
    });
  }
  // One part dying ends the demo: a half-running demo only confuses.
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.log(`demo: ${name} exited (${signal ?? code}); stopping the rest`);
      process.exitCode = 1;
    }
    stop();
  });
  children.push(child);
  return child;
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  // A part that ignores SIGTERM still lets the demo end.
  setTimeout(() => children.forEach((child) => child.kill('SIGKILL')), 10_000).unref();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// `npm run demo` runs this under `sh -c`, which dies of the SIGTERM npm passes on instead of
// forwarding it: when the process that started the demo is gone, stop as if signalled.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid !== parent) stop();
}, 250);
orphaned.unref();

// The downstream first: the service is told the ports it actually listens on (0 = any free port).
const ports = await new Promise((resolve) => {
  const found = {};
  start('downstream', './downstream.mjs', { HOST: host, PORT: process.env.DOWNSTREAM_PORT ?? '8090', STEADY_PORT: process.env.STEADY_PORT ?? '8092' }, (line) => {
    const m = /^(flaky|steady) downstream listening on http:\/\/[^\s]+:(\d+)/.exec(line);
    if (m) found[m[1]] = m[2];
    if (found.flaky && (found.steady || process.env.STEADY_PORT === 'off')) resolve(found);
  });
});
if (!stopping) {
  start('service', './service.mjs', {
    HOST: host,
    DOWNSTREAM_URL: `http://${host}:${ports.flaky}`,
    STEADY_URL: ports.steady ? `http://${host}:${ports.steady}` : 'off',
  });
}
