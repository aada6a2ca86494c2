// One process of the instruction-count bench (cost.bench.mjs), run under callgrind: it installs
// one setup at start, as an application would, warms up, then makes `requests` more requests, one
// at a time, and exits. Two such processes that differ only in `requests` give the cost per request.
//
//   node bench/cost-client.mjs '{"client":"http","setup":"breakwater","url":"http://127.0.0.1:PORT/","warmup":300,"requests":200}'
import http from 'node:http';
import { createRequire } from 'node:module';

const { client, setup, url, warmup, requests } = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);

const SETUPS = {
  plain: {},
  breakwater: { bw: true },
  otel: { otel: true },
  'otel + breakwater': { otel: true, bw: true },
};
const use = SETUPS[setup];
if (use === undefined || !['http', 'fetch'].includes(client)) throw new Error(`unknown setup ${client} ${setup}`);

// Node's bundled dispatcher exists before any patch, as in an application that has used fetch.
void globalThis.Headers;

let spans = 0;
if (use.otel) {
  const { SimpleSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
  // Spans are recorded and handed to an exporter that drops them: the cost of tracing without I/O.
  const exporter = { export: (batch, done) => { spans += batch.length; done({ code: 0 }); }, shutdown: async () => {} };
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  if (client === 'http') {
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    const otel = new HttpInstrumentation({ disableIncomingRequestInstrumentation: true });
    otel.setTracerProvider(provider);
    otel.enable();
    // OTel's require hook patches node:http when it is next required.
    require('node:http');
    if (!http.request.__wrapped) throw new Error('instrumentation-http did not patch node:http');
  } else {
    const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');
    const otel = new UndiciInstrumentation();
    otel.setTracerProvider(provider);
    otel.enable();
  }
}
if (use.bw) {
  const { BreakwaterInstrumentation } = await import('../dist/esm/instrumentation.js');
  new BreakwaterInstrumentation({ enabled: true, instrument: [client] });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const one = {
  http: () =>
    new Promise((resolve, reject) => {
      http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    }),
  fetch: async () => {
    const res = await fetch(url);
    await res.arrayBuffer();
  },
}[client];

for (let i = 0; i < warmup + requests; i++) await one();
agent.destroy();
console.log(JSON.stringify({ client, setup, warmup, requests, spans }));
process.exit(0);
