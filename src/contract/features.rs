//! The features of editions files, which prost-types drops when decoding (it has no `edition`
//! and no `features` fields): read from the same bytes, and resolved for an element by path.

use prost::Message;

/// `google.protobuf.FeatureSet` as written, with the fields the rules read.
#[derive(Clone, Copy, PartialEq, Message)]
pub struct FeatureSet {
    #[prost(int32, optional, tag = "1")]
    pub field_presence: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub enum_type: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub repeated_field_encoding: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub utf8_validation: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub message_encoding: Option<i32>,
    #[prost(int32, optional, tag = "6")]
    pub json_format: Option<i32>,
}

// Values of descriptor.proto's feature enums.
pub const EXPLICIT: i32 = 1;
pub const IMPLICIT: i32 = 2;
pub const LEGACY_REQUIRED: i32 = 3;
pub const OPEN: i32 = 1;
pub const VERIFY: i32 = 2;
pub const ALLOW: i32 = 1;
pub const DELIMITED: i32 = 2;

impl FeatureSet {
    /// Editions 2023 and 2024 (descriptor.proto's `edition_defaults`; equal for these).
    fn defaults() -> FeatureSet {
        FeatureSet {
            field_presence: Some(EXPLICIT),
            enum_type: Some(OPEN),
            repeated_field_encoding: Some(1),
            utf8_validation: Some(VERIFY),
            message_encoding: Some(1),
            json_format: Some(ALLOW),
        }
    }

    /// What proto3 (or proto2) files behave as (descriptor.proto's `EDITION_PROTO3` and
    /// `EDITION_LEGACY` defaults).
    pub fn of_syntax(proto3: bool) -> FeatureSet {
        let pick = |proto3_value: i32, proto2_value: i32| {
            Some(if proto3 { proto3_value } else { proto2_value })
        };
        FeatureSet {
            field_presence: pick(IMPLICIT, EXPLICIT),
            enum_type: pick(OPEN, 2),
            repeated_field_encoding: pick(1, 2),
            utf8_validation: pick(VERIFY, 3),
            message_encoding: Some(1),
            json_format: pick(ALLOW, 2),
        }
    }

    fn merge(&mut self, child: Option<&FeatureSet>) {
        let Some(c) = child else { return };
        let pick = |own: &mut Option<i32>, set: Option<i32>| *own = set.or(*own);
        pick(&mut self.field_presence, c.field_presence);
        pick(&mut self.enum_type, c.enum_type);
        pick(&mut self.repeated_field_encoding, c.repeated_field_encoding);
        pick(&mut self.utf8_validation, c.utf8_validation);
        pick(&mut self.message_encoding, c.message_encoding);
        pick(&mut self.json_format, c.json_format);
    }
}

// The skeleton of a FileDescriptorProto: only what carries features, in the same order as
// prost-types' copy, so that an element's path finds it in both.

#[derive(Clone, PartialEq, Message)]
pub struct EditionsFile {
    #[prost(message, repeated, tag = "4")]
    message_type: Vec<MessageF>,
    #[prost(message, repeated, tag = "5")]
    enum_type: Vec<EnumF>,
    #[prost(message, repeated, tag = "7")]
    extension: Vec<FieldF>,
    #[prost(message, optional, tag = "8")]
    options: Option<FileOptionsF>,
    #[prost(int32, optional, tag = "14")]
    pub edition: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
struct MessageF {
    #[prost(message, repeated, tag = "2")]
    field: Vec<FieldF>,
    #[prost(message, repeated, tag = "6")]
    extension: Vec<FieldF>,
    #[prost(message, repeated, tag = "3")]
    nested_type: Vec<MessageF>,
    #[prost(message, repeated, tag = "4")]
    enum_type: Vec<EnumF>,
    #[prost(message, repeated, tag = "8")]
    oneof_decl: Vec<OneofF>,
    #[prost(message, optional, tag = "7")]
    options: Option<MessageOptionsF>,
}

#[derive(Clone, PartialEq, Message)]
struct FieldF {
    #[prost(int32, optional, tag = "9")]
    oneof_index: Option<i32>,
    #[prost(message, optional, tag = "8")]
    options: Option<FieldOptionsF>,
}

#[derive(Clone, PartialEq, Message)]
struct OneofF {
    #[prost(message, optional, tag = "2")]
    options: Option<OneofOptionsF>,
}

#[derive(Clone, PartialEq, Message)]
struct EnumF {
    #[prost(message, optional, tag = "3")]
    options: Option<EnumOptionsF>,
}

macro_rules! options {
    ($name:ident, $tag:literal) => {
        #[derive(Clone, PartialEq, Message)]
        struct $name {
            #[prost(message, optional, tag = $tag)]
            features: Option<FeatureSet>,
        }
    };
}
options!(FileOptionsF, "50");
options!(MessageOptionsF, "12");
options!(FieldOptionsF, "21");
options!(OneofOptionsF, "1");
options!(EnumOptionsF, "7");

/// A FileDescriptorSet's files as skeletons, in order.
#[derive(Clone, PartialEq, Message)]
pub struct EditionsSet {
    #[prost(message, repeated, tag = "1")]
    pub file: Vec<EditionsFile>,
}

impl EditionsFile {
    /// The skeleton of an encoded file, when it is an editions file.
    pub fn of(file: &prost_types::FileDescriptorProto, bytes: &[u8]) -> Option<EditionsFile> {
        (file.syntax() == "editions")
            .then(|| EditionsFile::decode(bytes).ok())
            .flatten()
    }

    /// The features in effect at the element at `path` (a message, field, extension, oneof
    /// or enum, as in source info), inherited from the file down.
    pub fn resolve(&self, path: &[i32]) -> FeatureSet {
        let mut set = FeatureSet::defaults();
        set.merge(self.options.as_ref().and_then(|o| o.features.as_ref()));
        let mut message: Option<&MessageF> = None;
        for pair in path.chunks(2) {
            let [kind, index] = *pair else { break };
            let index = index as usize;
            match (message, kind) {
                (None, 4) | (Some(_), 3) => {
                    let list = message.map_or(&self.message_type, |m| &m.nested_type);
                    let Some(m) = list.get(index) else { break };
                    set.merge(m.options.as_ref().and_then(|o| o.features.as_ref()));
                    message = Some(m);
                }
                (None, 5) | (Some(_), 4) => {
                    let list = message.map_or(&self.enum_type, |m| &m.enum_type);
                    let Some(e) = list.get(index) else { break };
                    set.merge(e.options.as_ref().and_then(|o| o.features.as_ref()));
                    break;
                }
                (Some(m), 8) => {
                    let Some(o) = m.oneof_decl.get(index) else {
                        break;
                    };
                    set.merge(o.options.as_ref().and_then(|o| o.features.as_ref()));
                    break;
                }
                (None, 7) | (Some(_), 2 | 6) => {
                    let list = match (message, kind) {
                        (Some(m), 2) => &m.field,
                        (Some(m), _) => &m.extension,
                        (None, _) => &self.extension,
                    };
                    let Some(f) = list.get(index) else { break };
                    if let (Some(m), Some(oneof), 2) = (message, f.oneof_index, kind) {
                        let oneof = m.oneof_decl.get(oneof as usize);
                        set.merge(oneof.and_then(|o| o.options.as_ref()?.features.as_ref()));
                    }
                    set.merge(f.options.as_ref().and_then(|o| o.features.as_ref()));
                    break;
                }
                _ => break,
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_resolve_from_the_file_down() {
        let text = r#"edition = "2023";
package p;
option features.field_presence = IMPLICIT;
message M {
  option features.json_format = LEGACY_BEST_EFFORT;
  int32 a = 1;
  int32 b = 2 [features.field_presence = EXPLICIT];
  message N { string s = 1 [features.utf8_validation = NONE]; }
  enum E { option features.enum_type = CLOSED; E_ONE = 1; }
}
enum Open { OPEN_ZERO = 0; }
"#;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.proto"), text).unwrap();
        let mut compiler = protox::Compiler::new([dir.path()]).unwrap();
        compiler.open_file("p.proto").unwrap();
        let bytes = compiler
            .descriptor_pool()
            .get_file_by_name("p.proto")
            .unwrap()
            .encode_to_vec();
        let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
        let features = EditionsFile::of(&file, &bytes).expect("an editions file");
        assert_eq!(features.edition, Some(1000));
        let a = features.resolve(&[4, 0, 2, 0]);
        assert_eq!(a.field_presence, Some(IMPLICIT));
        assert_eq!(a.json_format, Some(2));
        assert_eq!(
            features.resolve(&[4, 0, 2, 1]).field_presence,
            Some(EXPLICIT)
        );
        let s = features.resolve(&[4, 0, 3, 0, 2, 0]);
        assert_eq!(
            (s.utf8_validation, s.field_presence),
            (Some(3), Some(IMPLICIT))
        );
        assert_eq!(features.resolve(&[4, 0, 4, 0]).enum_type, Some(2));
        assert_eq!(features.resolve(&[5, 0]).enum_type, Some(OPEN));
        assert_eq!(features.resolve(&[5, 0]).json_format, Some(ALLOW));
    }
}
