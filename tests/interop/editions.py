"""A client not written in Rust (Python's protobuf on upb, and grpcio) calling a server that
protogen generated from an editions contract. The messages come from buf's image of the
contract (the editions files as written, features and all), so their bytes are what a standard
protobuf implementation makes of the editions definition. Prints one JSON object of what it
saw; the Rust test decides whether that is right.

usage: python3 editions.py ADDRESS IMAGE   (IMAGE: `buf build -o IMAGE` of the contract)
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.unknown_fields import UnknownFieldSet

address, image = sys.argv[1:]
pool = descriptor_pool.DescriptorPool()
with open(image, "rb") as f:
    for file in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
        pool.Add(file)


def message(name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"editions.v1.{name}"))


Shape, Request, Response = message("Shape"), message("InspectRequest"), message("InspectResponse")
channel = grpc.insecure_channel(address)
seen = {}

# Each feature of Shape on the wire: required, an explicit zero, a closed enum, packed and
# expanded repeated scalars, delimited (group) message fields. The server answers with the
# message as it decoded and re-encoded it.
shape = Shape(id="s1", sides=0, size=1, packed_numbers=[1, 2, 300], expanded_numbers=[3, 4], ratio=0.0)
shape.part.name = "p"
shape.parts.add(name="q")
shape.parts.add(name="r")
sent = shape.SerializeToString()
answer = channel.unary_unary("/editions.v1.EchoService/EchoShape")(sent, timeout=10)
seen["shape_sent"] = sent.hex()
seen["shape_answer"] = answer.hex()
back = Shape.FromString(answer)
seen["shape_back_equal"] = back == shape
seen["shape_back_has_sides"] = back.HasField("sides")

# A string without UTF-8 validation (features.utf8_validation = NONE) holding bytes that are
# not UTF-8 (field 9, ff fe): the server takes them and answers them as they were.
unvalidated = sent + bytes.fromhex("4a02fffe")
answer = channel.unary_unary("/editions.v1.EchoService/EchoShape")(unvalidated, timeout=10)
seen["unvalidated_sent"] = unvalidated.hex()
seen["unvalidated_answer"] = answer.hex()

# What the server decoded, and an answer with an implicit zero (not sent), an explicit zero
# (sent) and a number the closed enum Size does not have.
request = Request(count=0, limit=0, mode=1, modes=[1, 0], code=0)
request.shape.id = "s2"
request.shape.packed_numbers.append(5)
request.shape.expanded_numbers.extend([6, 7])
request.shape.part.name = "g"
inspect = channel.unary_unary(
    "/editions.v1.EchoService/Inspect", request_serializer=Request.SerializeToString
)
answer = inspect(request, timeout=10)
response = Response.FromString(answer)
seen["seen"] = response.seen
text = response.seen.encode()
seen["after_seen"] = answer[answer.index(text) + len(text) :].hex()
try:
    response.HasField("count")
    seen["count_has_presence"] = True
except ValueError:
    seen["count_has_presence"] = False
seen["has_limit"] = response.HasField("limit")
seen["limit"] = response.limit
# A closed enum keeps an unknown number out of the field, among the unknown fields.
seen["has_size"] = response.HasField("size")
seen["size"] = response.size
seen["unknown"] = [[f.field_number, f.data] for f in UnknownFieldSet(response)]
print(json.dumps(seen))
