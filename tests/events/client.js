// The non-Rust side of tests/events_e2e.rs: a Node.js service using the `nats` npm package and
// protobufjs, reading the same contract, as a NestJS service would.
//   node client.js publish URL PROTO_ROOT PREFIX COUNT   publish COUNT OrderShipped events
//   node client.js count URL STREAM                      print how many messages STREAM holds
const path = require("path");
const crypto = require("crypto");
const { connect, headers } = require("nats");
const protobuf = require("protobufjs");

async function main() {
  const [mode, url, ...rest] = process.argv.slice(2);
  const nc = await connect({ servers: url });
  try {
    if (mode === "publish") {
      const [root, prefix, count] = rest;
      const types = new protobuf.Root();
      types.resolvePath = (_origin, target) => path.join(root, target);
      await types.load("orders/v1/orders.proto");
      const OrderShipped = types.lookupType("orders.v1.OrderShipped");
      const js = nc.jetstream();
      for (let i = 0; i < Number(count); i++) {
        const payload = OrderShipped.encode({ orderId: `${prefix}-${i}`, userId: "node" }).finish();
        // The wire mapping's headers, with a trace state the handler must see.
        const h = headers();
        h.set("content-type", "application/x-protobuf");
        h.set("proto-message", "orders.v1.OrderShipped");
        const hex = (bytes) => crypto.randomBytes(bytes).toString("hex");
        h.set("traceparent", `00-${hex(16)}-${hex(8)}-01`);
        h.set("tracestate", "foreign=t61rcWkgMzE");
        h.set("event-id", hex(16));
        // Resolves once JetStream stored it, like the Rust publisher.
        await js.publish("orders.shipped", payload, { headers: h });
      }
    } else if (mode === "count") {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(rest[0]);
      console.log(info.state.messages);
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  } finally {
    await nc.drain();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
