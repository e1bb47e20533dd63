// A gRPC client not written in Rust (@grpc/grpc-js) calling a server that protogen generated:
// unary, server streaming, bidirectional streaming, a deadline and an error status. Prints one
// JSON object of what it saw; the Rust test decides whether that is right.
//
// usage: node client.js ADDRESS PROTO_ROOT  (node_modules found through NODE_PATH)
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, protoRoot] = process.argv.slice(2);
const definition = protoLoader.loadSync(['users/v1/users.proto', 'orders/v1/orders.proto'], {
  includeDirs: [protoRoot],
  keepCase: false,
  defaults: true,
});
const api = grpc.loadPackageDefinition(definition);
const credentials = grpc.credentials.createInsecure();
const users = new api.users.v1.UsersService(address, credentials);
const orders = new api.orders.v1.OrdersService(address, credentials);

const deadline = (ms) => new Date(Date.now() + ms);

function unary(client, method, request, ms) {
  const started = Date.now();
  return new Promise((resolve) => {
    client[method](request, { deadline: deadline(ms) }, (error, response) => {
      const elapsed_ms = Date.now() - started;
      if (error) resolve({ code: error.code, details: error.details, elapsed_ms });
      else resolve({ code: 0, response, elapsed_ms });
    });
  });
}

function serverStream(client, method, request, ms) {
  return new Promise((resolve) => {
    const received = [];
    const call = client[method](request, { deadline: deadline(ms) });
    call.on('data', (message) => received.push(message));
    call.on('error', (error) => resolve({ code: error.code, details: error.details, received }));
    call.on('status', (status) => {
      if (status.code === 0) resolve({ code: 0, received });
    });
  });
}

function bidi(client, method, requests, ms) {
  return new Promise((resolve) => {
    const received = [];
    const call = client[method]({ deadline: deadline(ms) });
    call.on('data', (message) => received.push(message));
    call.on('error', (error) => resolve({ code: error.code, details: error.details, received }));
    call.on('status', (status) => {
      if (status.code === 0) resolve({ code: 0, received });
    });
    for (const request of requests) call.write(request);
    call.end();
  });
}

async function main() {
  const result = {
    unary: await unary(users, 'findOne', { id: 'u7' }, 5000),
    stream: await serverStream(users, 'findMany', { role: 'admin', limit: 5 }, 5000),
    stream_error: await serverStream(users, 'findMany', { role: 'fail', limit: 2 }, 5000),
    deadline: await unary(users, 'findOne', { id: 'slow' }, 300),
    not_found: await unary(users, 'findOne', { id: 'missing' }, 5000),
    bidi: await bidi(orders, 'trackOrders', [{ orderId: 'a' }, { orderId: 'b' }], 5000),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  users.close();
  orders.close();
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
