//! Tests of the lowering of editions files (templates/new/api/editions.rs, which editions
//! workspaces run in their build.rs): the lowered descriptors mean what the features said.

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, ReflectMessage};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{FileDescriptorProto, FileDescriptorSet};

use super::editions::lower;

/// fixtures/editions compiled as an editions workspace's build.rs compiles it: the pool and
/// the encoded set with source info.
fn compiled(root: &std::path::Path, files: &[&str]) -> (DescriptorPool, Vec<u8>) {
    // The carried files (google/protobuf/cpp_features.proto), as the api crate's proto/.
    let known = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/contract/known");
    let mut compiler = protox::Compiler::new([root, known.as_path()]).unwrap();
    compiler.include_imports(true).include_source_info(true);
    for file in files {
        compiler.open_file(file).unwrap();
    }
    (
        compiler.descriptor_pool(),
        compiler.encode_file_descriptor_set(),
    )
}

fn fixture() -> (DescriptorPool, Vec<u8>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/editions");
    compiled(&root, &["editions/v1/echo.proto"])
}

fn file<'a>(set: &'a FileDescriptorSet, name: &str) -> &'a FileDescriptorProto {
    set.file.iter().find(|f| f.name() == name).unwrap()
}

#[test]
fn each_feature_becomes_what_prost_build_reads() {
    let (pool, encoded) = fixture();
    let lowered = lower(&pool, &encoded).unwrap();
    let set = FileDescriptorSet::decode(lowered.as_slice()).unwrap();

    // Every field has presence: proto2, where `optional` is Option<T> and enums are closed.
    let shapes = file(&set, "editions/v1/shapes.proto");
    assert_eq!(shapes.syntax(), "proto2");
    let shape = &shapes.message_type[1];
    let field = |name: &str| shape.field.iter().find(|f| f.name() == name).unwrap();
    assert_eq!(field("id").label(), Label::Required);
    assert_eq!(field("sides").label(), Label::Optional);
    assert_eq!(field("size").default_value(), "SIZE_LARGE");
    assert_eq!(field("ratio").default_value(), "1.5");
    assert_eq!(
        field("packed_numbers").options.as_ref().unwrap().packed,
        Some(true)
    );
    assert_eq!(
        field("expanded_numbers").options.as_ref().unwrap().packed,
        Some(false)
    );
    assert_eq!(field("part").r#type(), Type::Group);
    assert_eq!(field("parts").r#type(), Type::Group);
    assert_eq!(field("parts").label(), Label::Repeated);
    // The features are gone from the options, which stay otherwise.
    assert_eq!(field("part").options, None);
    assert_eq!(shapes.enum_type[0].options, None);

    // An implicit field: proto3, explicit presence as proto3_optional in a synthetic oneof
    // after the real one.
    let echo = file(&set, "editions/v1/echo.proto");
    assert_eq!(echo.syntax(), "proto3");
    assert_eq!(echo.options, None, "the file's features are dropped");
    let request = &echo.message_type[0];
    let field = |name: &str| request.field.iter().find(|f| f.name() == name).unwrap();
    assert_eq!(field("count").proto3_optional, None);
    assert_eq!(field("count").oneof_index, None);
    assert_eq!(field("limit").proto3_optional, Some(true));
    assert_eq!(field("limit").oneof_index, Some(1));
    let oneofs: Vec<_> = request.oneof_decl.iter().map(|o| o.name()).collect();
    assert_eq!(oneofs, ["choice", "_limit"]);
    assert_eq!(field("label").oneof_index, Some(0));
    assert_eq!(field("label").proto3_optional, None);
    assert_eq!(
        field("shape").proto3_optional,
        None,
        "messages have presence in proto3"
    );
    assert_eq!(field("modes").options.as_ref().unwrap().packed, Some(true));

    // Comments and locations survive, for the generated doc comments.
    let original = FileDescriptorSet::decode(encoded.as_slice()).unwrap();
    for name in ["editions/v1/shapes.proto", "editions/v1/echo.proto"] {
        assert_eq!(
            file(&set, name).source_code_info,
            file(&original, name).source_code_info
        );
    }
}

/// The lowered contract, read by a descriptor pool as proto2/proto3, means what the editions
/// contract meant: presence, cardinality, packing and groups of every field, field for field.
#[test]
fn the_lowered_pool_agrees_with_the_editions_pool() {
    let (pool, encoded) = fixture();
    let lowered = DescriptorPool::decode(lower(&pool, &encoded).unwrap().as_slice()).unwrap();
    let mut compared = 0;
    for message in pool.all_messages() {
        if !message.package_name().starts_with("editions") {
            continue;
        }
        let twin = lowered.get_message_by_name(message.full_name()).unwrap();
        for field in message.fields() {
            let other = twin.get_field(field.number()).unwrap();
            let facts = |f: &prost_reflect::FieldDescriptor| {
                (
                    f.cardinality(),
                    f.supports_presence(),
                    f.is_packed(),
                    f.is_group(),
                    // (A message's default names its pool: not comparable.)
                    f.kind().as_message().is_none().then(|| f.default_value()),
                    f.json_name().to_string(),
                )
            };
            assert_eq!(facts(&field), facts(&other), "{}", field.full_name());
            compared += 1;
        }
    }
    assert_eq!(compared, 21);
    // The wire agrees too: a message encoded under one decodes to the same under the other.
    let shape = pool.get_message_by_name("editions.v1.Shape").unwrap();
    let json = r#"{"id":"s","sides":0,"packedNumbers":[1,2],"expandedNumbers":[3,4],
        "part":{"name":"p"},"parts":[{"name":"q"}]}"#;
    let mut de = serde_json::Deserializer::from_str(json);
    let message = prost_reflect::DynamicMessage::deserialize(shape, &mut de).unwrap();
    let bytes = message.encode_to_vec();
    let twin = lowered.get_message_by_name("editions.v1.Shape").unwrap();
    let decoded = prost_reflect::DynamicMessage::decode(twin, bytes.as_slice()).unwrap();
    assert_eq!(decoded.encode_to_vec(), bytes);
}

#[test]
fn proto2_and_proto3_files_pass_through_untouched() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/proto");
    let (pool, encoded) = compiled(&root, &["orders/v1/orders.proto"]);
    assert_eq!(lower(&pool, &encoded).unwrap(), encoded);
}

/// A closed enum that does not start at 0 cannot live in a file lowered to proto3.
#[test]
fn a_closed_enum_in_an_implicit_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.proto"),
        r#"edition = "2023";
package m;
option features.field_presence = IMPLICIT;
enum Level { option features.enum_type = CLOSED; LEVEL_LOW = 1; }
message M { int32 n = 1; }
"#,
    )
    .unwrap();
    let (pool, encoded) = compiled(dir.path(), &["m.proto"]);
    let error = lower(&pool, &encoded).unwrap_err();
    assert!(
        error.contains("m.proto: the closed enum m.Level starts at 1"),
        "{error}"
    );
}

/// Maps stay maps: their entries are neither groups nor proto3_optional, whatever the file's
/// features, and their fields keep prost's map shape.
#[test]
fn maps_are_lowered_as_maps() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.proto"),
        r#"edition = "2023";
package m;
option features.message_encoding = DELIMITED;
option features.field_presence = IMPLICIT;
message V { int32 n = 1; }
message M {
  map<string, V> by_name = 1;
  map<int32, int32> counts = 2;
  V one = 3;
}
"#,
    )
    .unwrap();
    let (pool, encoded) = compiled(dir.path(), &["m.proto"]);
    let set = FileDescriptorSet::decode(lower(&pool, &encoded).unwrap().as_slice()).unwrap();
    let file = file(&set, "m.proto");
    assert_eq!(file.syntax(), "proto3");
    let m = &file.message_type[1];
    assert_eq!(
        m.field[0].r#type(),
        Type::Message,
        "a map field is no group"
    );
    assert_eq!(m.field[2].r#type(), Type::Group, "a message field is");
    for entry in &m.nested_type {
        assert!(entry.options.as_ref().unwrap().map_entry());
        assert!(entry.oneof_decl.is_empty(), "{entry:?}");
        for field in &entry.field {
            assert_eq!(field.proto3_optional, None);
            assert_ne!(field.r#type(), Type::Group, "{entry:?}");
        }
    }
    let lowered = DescriptorPool::decode(lower(&pool, &encoded).unwrap().as_slice()).unwrap();
    assert!(lowered
        .get_message_by_name("m.M")
        .unwrap()
        .get_field(1)
        .unwrap()
        .is_map());
    // The editions pool itself (prost-reflect patch): the entry's value stays length-prefixed,
    // so a map written by protoc or upb decodes. M { by_name: {"a": V { n: 7 }} }:
    let entry = pool.get_message_by_name("m.M.ByNameEntry").unwrap();
    assert!(!entry.get_field(2).unwrap().is_group());
    let bytes = [0x0a, 0x07, 0x0a, 0x01, b'a', 0x12, 0x02, 0x08, 0x07];
    let m = DynamicMessage::decode(pool.get_message_by_name("m.M").unwrap(), &bytes[..]).unwrap();
    let by_name = m.get_field_by_name("by_name").unwrap();
    let v = by_name.as_map().unwrap()[&MapKey::String("a".into())]
        .as_message()
        .unwrap()
        .get_field_by_name("n")
        .unwrap();
    assert_eq!(v.as_i32(), Some(7));
}

/// Options lose their features and nothing else: an extension set beside them (as
/// buf.validate's or google.api.http's) is still there, with `packed` added.
#[test]
fn option_extensions_survive_the_lowering() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.proto"),
        r#"edition = "2023";
package x;
import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { int32 mark = 50001; }
message M {
  repeated int32 a = 1 [(mark) = 7, features.repeated_field_encoding = EXPANDED];
}
"#,
    )
    .unwrap();
    let (pool, encoded) = compiled(dir.path(), &["x.proto"]);
    let lowered = DescriptorPool::decode(lower(&pool, &encoded).unwrap().as_slice()).unwrap();
    let field = lowered
        .get_message_by_name("x.M")
        .unwrap()
        .get_field(1)
        .unwrap();
    assert!(!field.is_packed());
    let options = field.options();
    let mark = lowered.get_extension_by_name("x.mark").unwrap();
    assert_eq!(options.get_extension(&mark).as_i32(), Some(7));
    let set = FileDescriptorSet::decode(lower(&pool, &encoded).unwrap().as_slice()).unwrap();
    let raw = &file(&set, "x.proto").message_type[0].field[0];
    assert_eq!(raw.options.as_ref().unwrap().packed, Some(false));
    let features = options.descriptor().get_field_by_name("features").unwrap();
    assert!(!options.has_field(&features), "{options:?}");
}

/// `utf8_validation = NONE` (a string whose bytes need not be UTF-8, which a Rust `String`
/// cannot hold): bytes for the generated types (`lower_for_code`), as resolved from the field
/// or its file, but in a map; still a string for the runtime (`lower`).
#[test]
fn strings_without_utf8_validation_are_bytes_for_the_generated_types() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("n.proto"),
        r#"edition = "2023";
package n;
option features.utf8_validation = NONE;
message M {
  string inherited = 1 [default = "a\"\303\251"];
  string verified = 2 [features.utf8_validation = VERIFY];
  repeated string many = 3;
  oneof o { string chosen = 4; }
  map<string, string> labels = 5;
  bytes raw = 6;
}
"#,
    )
    .unwrap();
    let (pool, encoded) = compiled(dir.path(), &["n.proto"]);
    let types = |lowered: Vec<u8>| -> Vec<(String, Type)> {
        let set = FileDescriptorSet::decode(lowered.as_slice()).unwrap();
        let message = &file(&set, "n.proto").message_type[0];
        let entry = &message.nested_type[0];
        (message.field.iter().chain(&entry.field))
            .map(|f| (f.name().to_string(), f.r#type()))
            .collect()
    };
    let for_code = super::editions::lower_for_code(&pool, &encoded).unwrap();
    let set = FileDescriptorSet::decode(for_code.as_slice()).unwrap();
    assert_eq!(
        file(&set, "n.proto").message_type[0].field[0].default_value(),
        "a\\\"\\303\\251",
        "a string default as a bytes default (C escapes)"
    );
    let expected = |unvalidated: Type| {
        [
            ("inherited", unvalidated),
            ("verified", Type::String),
            ("many", unvalidated),
            ("chosen", unvalidated),
            ("labels", Type::Message),
            ("raw", Type::Bytes),
            ("key", Type::String),
            ("value", Type::String),
        ]
        .map(|(name, t)| (name.to_string(), t))
        .to_vec()
    };
    assert_eq!(types(for_code), expected(Type::Bytes));
    assert_eq!(
        types(lower(&pool, &encoded).unwrap()),
        expected(Type::String)
    );
}
