// A @grpc/grpc-js client protected by breakwater: one breaker per channel target. The server here
// answers UNAVAILABLE; after two failures the breaker opens and the next calls end at once with
// status UNAVAILABLE and details naming the breaker, without being sent.
//   node examples/grpc/client.cjs
const path = require('node:path');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { BreakwaterInstrumentation } = require('breakwater/instrumentation');

const breakwater = new BreakwaterInstrumentation({ breaker: { failureThreshold: 2, openTimeoutMs: 30_000 } });
const sdk = new NodeSDK({ instrumentations: [breakwater], metricReaders: [], spanProcessors: [] });
sdk.start();

// Loaded after sdk.start(), so grpc-js is patched as it is required.
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'greeter.proto'));
const { demo } = grpc.loadPackageDefinition(definition);

async function main() {
  let received = 0;
  const server = new grpc.Server();
  server.addService(demo.Greeter.service, {
    SayHello(call, callback) {
      received += 1;
      callback({ code: grpc.status.UNAVAILABLE, details: 'greeter is overloaded' });
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  const target = `127.0.0.1:${port}`;
  const client = new demo.Greeter(target, grpc.credentials.createInsecure());
  for (let i = 1; i <= 4; i++) {
    await new Promise((resolve) => {
      client.SayHello({ name: 'breakwater' }, (err, reply) => {
        if (err) console.log(`call ${i}: ${grpc.status[err.code]} (${err.details})`);
        else console.log(`call ${i}: ${reply.message}`);
        resolve();
      });
    });
  }
  console.log(`the server received ${received} calls for 4`);
  console.log(`breaker ${target}: ${breakwater.registry.peek(target)?.state}`);

  client.close();
  server.forceShutdown();
  await sdk.shutdown();
}

main();
