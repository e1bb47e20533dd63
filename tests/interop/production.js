// A gRPC client not written in Rust (@grpc/grpc-js) checking the production behaviour of a
// server that protogen generated: mutual TLS, trace context, bounded metrics, streams and
// deadlines, shutdown, and the guard. Each mode prints one JSON object of what it saw (the
// `idle` mode first prints `ready`); the Rust test (tests/runtime_e2e.rs) decides whether that
// is right.
//
// usage: node production.js MODE ADDRESS PROTO_ROOT [ARGS...]  (node_modules through NODE_PATH)
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const tls = require('tls');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [mode, address, protoRoot, ...args] = process.argv.slice(2);
const definition = protoLoader.loadSync(['users/v1/users.proto', 'orders/v1/orders.proto'], {
  includeDirs: [protoRoot],
  keepCase: false,
  defaults: true,
});
const api = grpc.loadPackageDefinition(definition);
const insecure = grpc.credentials.createInsecure();

function unary(client, method, request, options = {}, metadata = new grpc.Metadata()) {
  const started = Date.now();
  return new Promise((resolve) => {
    client[method](request, metadata, options, (error, response) => {
      const elapsed_ms = Date.now() - started;
      if (error) resolve({ code: error.code, details: error.details, elapsed_ms });
      else resolve({ code: 0, response, elapsed_ms });
    });
  });
}

function serverStream(client, method, request, options = {}, onData = () => {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const received = [];
    const call = client[method](request, options);
    call.on('data', (message) => {
      received.push(message);
      onData(message);
    });
    call.on('error', (error) =>
      resolve({ code: error.code, details: error.details, received, elapsed_ms: Date.now() - started }));
    call.on('status', (status) => {
      if (status.code === 0) resolve({ code: 0, received, elapsed_ms: Date.now() - started });
    });
  });
}

const base64url = (data) => Buffer.from(data).toString('base64url');

// An HS256 JWT, as an identity provider would issue it.
function jwt(secret, claims) {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }));
  const signature = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function bearer(token) {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

const modes = {
  // Mutual TLS: with the client certificate, without one, and in plaintext.
  async mtls([ca, cert, key]) {
    const read = (path) => fs.readFileSync(path);
    const withCert = grpc.credentials.createSsl(read(ca), read(key), read(cert));
    const withoutCert = grpc.credentials.createSsl(read(ca));
    const call = async (credentials) => {
      const client = new api.users.v1.UsersService(address, credentials);
      const result = await unary(client, 'findOne', { id: 'u1' }, { deadline: Date.now() + 3000 });
      client.close();
      return result;
    };
    return {
      with_cert: await call(withCert),
      without_cert: await call(withoutCert),
      plaintext: await call(insecure),
    };
  },

  // The subject of the certificate the server presents now (to see a renewal).
  async peer([ca, cert, key]) {
    const [host, port] = address.split(':');
    return new Promise((resolve) => {
      const socket = tls.connect({
        host, port: Number(port), ca: fs.readFileSync(ca), cert: fs.readFileSync(cert),
        key: fs.readFileSync(key), ALPNProtocols: ['h2'], servername: 'localhost',
      }, () => {
        const subject = socket.getPeerCertificate().subject;
        socket.end();
        resolve({ cn: subject && subject.CN, alpn: socket.alpnProtocol });
      });
      socket.on('error', (error) => resolve({ error: String(error) }));
    });
  },

  // A call that continues the caller's trace.
  async trace([traceparent, tracestate]) {
    const client = new api.users.v1.UsersService(address, insecure);
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', traceparent);
    metadata.set('tracestate', tracestate);
    return { unary: await unary(client, 'findOne', { id: 'u1' }, { deadline: Date.now() + 3000 }, metadata) };
  },

  // Calls to methods the contract does not have, under made-up service names.
  async unknown([count]) {
    const client = new grpc.Client(address, insecure);
    const codes = {};
    const identity = (value) => value;
    const calls = [];
    for (let i = 0; i < Number(count); i++) {
      calls.push(new Promise((resolve) => {
        client.makeUnaryRequest(`/grpc.fake.S${i}/M${i}`, identity, identity, Buffer.alloc(0),
          (error) => {
            const code = error ? error.code : 0;
            codes[code] = (codes[code] || 0) + 1;
            resolve();
          });
      }));
    }
    await Promise.all(calls);
    client.close();
    return { codes };
  },

  // No deadline from the caller: the stream lives while it produces, a unary call does not.
  async ticker() {
    const client = new api.users.v1.UsersService(address, insecure);
    return {
      stream: await serverStream(client, 'findMany', { role: 'ticker', limit: 5 }),
      unary: await unary(client, 'findOne', { id: 'slow' }),
    };
  },

  // A stream that sends one message, then nothing: prints `ready`, then how it ended. Over
  // mutual TLS when given the CA, certificate and key.
  async idle([ca, cert, key]) {
    const read = (path) => fs.readFileSync(path);
    const credentials = ca ? grpc.credentials.createSsl(read(ca), read(key), read(cert)) : insecure;
    const client = new api.users.v1.UsersService(address, credentials);
    return {
      stream: await serverStream(client, 'findMany', { role: 'idle', limit: 1 }, {},
        () => process.stdout.write('ready\n')),
    };
  },

  // The guard: no token, a forged one, a valid one, and one without the scope an RPC needs.
  async guard([secret]) {
    const users = new api.users.v1.UsersService(address, insecure);
    const orders = new api.orders.v1.OrdersService(address, insecure);
    const reader = jwt(secret, { sub: 'ann', scope: 'read' });
    const writer = jwt(secret, { sub: 'bob', scope: 'read orders:write' });
    const forged = jwt('not-the-secret', { sub: 'eve', scope: 'orders:write' });
    const options = { deadline: Date.now() + 3000 };
    return {
      no_token: await unary(users, 'findOne', { id: 'u1' }, options, bearer(null)),
      forged: await unary(users, 'findOne', { id: 'u1' }, options, bearer(forged)),
      reader: await unary(users, 'findOne', { id: 'u1' }, options, bearer(reader)),
      reader_creates: await unary(orders, 'createOrder', { userId: 'u1' }, options, bearer(reader)),
      writer_creates: await unary(orders, 'createOrder', { userId: 'u1' }, options, bearer(writer)),
      health: await new Promise((resolve) => {
        const client = new grpc.Client(address, insecure);
        client.makeUnaryRequest('/grpc.health.v1.Health/Check', (v) => v, (v) => v, Buffer.alloc(0),
          (error) => resolve({ code: error ? error.code : 0 }));
      }),
      tokens: { reader, writer },
    };
  },
};

modes[mode](args).then((result) => {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}).catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});
