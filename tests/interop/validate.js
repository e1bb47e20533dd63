// A gRPC client not written in Rust (@grpc/grpc-js) calling a generated server whose contract
// (fixtures/validate) has buf.validate rules: valid requests, and requests that each break one
// rule, unary and streaming. Prints one JSON object of what it saw, with the
// google.rpc.BadRequest details decoded; the Rust test decides whether that is right.
//
// usage: node validate.js ADDRESS PROTO_ROOT VALIDATE_ROOT  (node_modules found through NODE_PATH;
// VALIDATE_ROOT holds buf/validate/validate.proto, as the generated api crate carries it)
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const [address, protoRoot, validateRoot] = process.argv.slice(2);
const definition = protoLoader.loadSync(['signup/v1/signup.proto'], {
  includeDirs: [protoRoot, validateRoot],
  keepCase: false,
  defaults: true,
});
const api = grpc.loadPackageDefinition(definition);
const client = new api.signup.v1.SignupService(address, grpc.credentials.createInsecure());

// google.rpc.Status and BadRequest, to read the grpc-status-details-bin trailer.
const rpc = protobuf.parse(`
  syntax = "proto3";
  package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message BadRequest {
    message FieldViolation { string field = 1; string description = 2; string reason = 3; }
    repeated FieldViolation field_violations = 1;
  }
`, { keepCase: true }).root;
const Status = rpc.lookupType('google.rpc.Status');
const BadRequest = rpc.lookupType('google.rpc.BadRequest');

function outcome(error, extra) {
  if (!error) return { code: 0, ...extra };
  const result = { code: error.code, details: error.details, ...extra };
  const encoded = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
  if (encoded) {
    const status = Status.decode(encoded);
    result.violations = [];
    for (const detail of status.details) {
      if (detail.type_url.endsWith('/google.rpc.BadRequest')) {
        for (const v of BadRequest.decode(detail.value).field_violations) {
          result.violations.push({ field: v.field, reason: v.reason, description: v.description });
        }
      }
    }
  }
  return result;
}

const deadline = () => new Date(Date.now() + 5000);

function unary(method, request) {
  return new Promise((resolve) => {
    client[method](request, { deadline: deadline() }, (error, response) =>
      resolve(outcome(error, error ? {} : { response })));
  });
}

function clientStream(method, requests) {
  return new Promise((resolve) => {
    const call = client[method]({ deadline: deadline() }, (error, response) =>
      resolve(outcome(error, error ? {} : { response })));
    for (const request of requests) call.write(request);
    call.end();
  });
}

function bidi(method, requests) {
  return new Promise((resolve) => {
    const received = [];
    const call = client[method]({ deadline: deadline() });
    call.on('data', (message) => received.push(message));
    call.on('error', (error) => resolve(outcome(error, { received })));
    call.on('status', (status) => {
      if (status.code === 0) resolve({ code: 0, received });
    });
    for (const request of requests) call.write(request);
    call.end();
  });
}

// A request that passes every rule; each invalid case changes one thing.
const valid = {
  email: 'ada@example.com',
  name: 'Ada',
  age: 36,
  tags: ['math', 'engines'],
  scores: { chess: 3 },
  handle: 'ada',
  born: { seconds: 0, nanos: 0 },
  trial: { seconds: 3600, nanos: 0 },
  password: 'analytical',
  passwordConfirm: 'analytical',
};
const but = (change) => ({ ...valid, ...change });
const future = { seconds: Math.floor(Date.now() / 1000) + 86400, nanos: 0 };

async function main() {
  const invalid = {
    email: but({ email: 'not-an-address' }),
    name: but({ name: '' }),
    age: but({ age: 12 }),
    tags_max: but({ tags: ['a', 'b', 'c', 'd'] }),
    tags_unique: but({ tags: ['a', 'a'] }),
    map_key: but({ scores: { '': 1 } }),
    map_value: but({ scores: { chess: -1 } }),
    oneof: but({ handle: undefined }),
    pattern: but({ handle: undefined, phone: '12345' }),
    timestamp: but({ born: future }),
    duration: but({ trial: { seconds: 90 * 86400, nanos: 0 } }),
    cel: but({ passwordConfirm: 'different' }),
  };
  const result = {
    valid: await unary('register', valid),
    valid_phone: await unary('register', but({ handle: undefined, phone: '+3312345678' })),
    invalid: {},
    import_valid: await clientStream('import', [valid, but({ email: 'b@example.com' })]),
    import_invalid: await clientStream('import', [
      but({ email: 'first@example.com' }),
      but({ email: 'second@example.com' }),
      but({ email: 'third@example.com', age: 5 }),
      but({ email: 'fourth@example.com' }),
    ]),
    chat: await bidi('chat', [{ text: 'hello' }, { text: '' }, { text: 'never seen' }]),
    legacy_unchecked: await unary('legacy', but({ email: 'legacy-not-an-address' })),
    bad_response: await unary('register', but({ name: 'bad-response' })),
  };
  for (const [name, request] of Object.entries(invalid)) {
    result.invalid[name] = await unary('register', request);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  client.close();
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + '\n');
  process.exit(1);
});
