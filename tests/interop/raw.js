// A gRPC call with protobuf bytes made elsewhere (by buf from an editions contract), through
// @grpc/grpc-js with no schema: writes the answer's bytes, as the server encoded them.
//
// usage: node raw.js ADDRESS /package.Service/Method REQUEST_FILE ANSWER_FILE
//        (node_modules found through NODE_PATH)
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');

const [address, method, requestFile, answerFile] = process.argv.slice(2);
const client = new grpc.Client(address, grpc.credentials.createInsecure());
const same = (bytes) => bytes;
const deadline = new Date(Date.now() + 10000);
client.makeUnaryRequest(method, same, same, fs.readFileSync(requestFile), { deadline }, (error, answer) => {
  client.close();
  if (error) {
    console.error(`${method}: ${error.code} ${error.details}`);
    process.exit(1);
  }
  fs.writeFileSync(answerFile, answer);
});
