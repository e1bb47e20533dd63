//! The features of editions files, which prost-types drops when decoding (it has no `edition`
//! and no `features` fields): read from the same bytes, and resolved for an element by path.

use prost::Message;

/// `google.protobuf.FeatureSet` as written, with the fields the rules read, and the language
/// features (`features.(pb.cpp)`, `(pb.java)`, `(pb.go)`: extensions 1000 to 1002).
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
    #[prost(int32, optional, tag = "7")]
    pub enforce_naming_style: Option<i32>,
    #[prost(int32, optional, tag = "8")]
    pub default_symbol_visibility: Option<i32>,
    #[prost(message, optional, tag = "1000")]
    pub cpp: Option<CppFeatures>,
    #[prost(message, optional, tag = "1001")]
    pub java: Option<JavaFeatures>,
    #[prost(message, optional, tag = "1002")]
    pub go: Option<GoFeatures>,
}

/// `pb.CppFeatures` (google/protobuf/cpp_features.proto).
#[derive(Clone, Copy, PartialEq, Message)]
pub struct CppFeatures {
    #[prost(bool, optional, tag = "1")]
    pub legacy_closed_enum: Option<bool>,
    #[prost(int32, optional, tag = "2")]
    pub string_type: Option<i32>,
    #[prost(bool, optional, tag = "3")]
    pub enum_name_uses_string_view: Option<bool>,
}

/// `pb.JavaFeatures` (google/protobuf/java_features.proto).
#[derive(Clone, Copy, PartialEq, Message)]
pub struct JavaFeatures {
    #[prost(bool, optional, tag = "1")]
    pub legacy_closed_enum: Option<bool>,
    #[prost(int32, optional, tag = "2")]
    pub utf8_validation: Option<i32>,
    #[prost(bool, optional, tag = "3")]
    pub large_enum: Option<bool>,
    #[prost(bool, optional, tag = "4")]
    pub use_old_outer_classname_default: Option<bool>,
    #[prost(int32, optional, tag = "5")]
    pub nest_in_file_class: Option<i32>,
}

/// `pb.GoFeatures` (google/protobuf/go_features.proto).
#[derive(Clone, Copy, PartialEq, Message)]
pub struct GoFeatures {
    #[prost(bool, optional, tag = "1")]
    pub legacy_unmarshal_json_enum: Option<bool>,
    #[prost(int32, optional, tag = "2")]
    pub api_level: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub strip_enum_prefix: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub optimize_mode: Option<i32>,
}

// Values of descriptor.proto's feature enums.
pub const EXPLICIT: i32 = 1;
pub const IMPLICIT: i32 = 2;
pub const LEGACY_REQUIRED: i32 = 3;
pub const OPEN: i32 = 1;
pub const VERIFY: i32 = 2;
pub const ALLOW: i32 = 1;
pub const DELIMITED: i32 = 2;
/// `Edition.EDITION_2024`.
pub const EDITION_2024: i32 = 1001;
/// Values of `pb.CppFeatures.StringType`, and `pb.JavaFeatures.Utf8Validation.VERIFY`.
pub const CPP_STRING_TYPES: [&str; 4] = ["STRING_TYPE_UNKNOWN", "VIEW", "CORD", "STRING"];
pub const CPP_STRING: i32 = 3;
pub const JAVA_VERIFY: i32 = 2;

/// Merges `child` into `own`, field by field (a feature set lower down overrides only what it
/// sets, as protoc merges them).
macro_rules! merge {
    ($own:expr, $child:expr; $($field:ident),*) => {
        $( $own.$field = $child.$field.or($own.$field); )*
    };
}

impl FeatureSet {
    /// The defaults of edition `edition` (descriptor.proto's and the language features' files'
    /// `edition_defaults`: the core features agree for 2023 and 2024; the languages' differ).
    fn defaults(edition: Option<i32>) -> FeatureSet {
        let since_2024 = edition.unwrap_or(0) >= EDITION_2024;
        FeatureSet {
            field_presence: Some(EXPLICIT),
            enum_type: Some(OPEN),
            repeated_field_encoding: Some(1),
            utf8_validation: Some(VERIFY),
            message_encoding: Some(1),
            json_format: Some(ALLOW),
            // STYLE2024 and EXPORT_TOP_LEVEL from 2024; STYLE_LEGACY and EXPORT_ALL before.
            enforce_naming_style: Some(if since_2024 { 1 } else { 2 }),
            default_symbol_visibility: Some(if since_2024 { 2 } else { 1 }),
            cpp: Some(CppFeatures {
                legacy_closed_enum: Some(false),
                string_type: Some(if since_2024 { 1 } else { CPP_STRING }),
                enum_name_uses_string_view: Some(since_2024),
            }),
            java: Some(JavaFeatures {
                legacy_closed_enum: Some(false),
                utf8_validation: Some(1),
                large_enum: Some(false),
                use_old_outer_classname_default: Some(!since_2024),
                nest_in_file_class: Some(if since_2024 { 1 } else { 3 }),
            }),
            go: Some(GoFeatures {
                legacy_unmarshal_json_enum: Some(false),
                api_level: Some(if since_2024 { 3 } else { 0 }),
                strip_enum_prefix: Some(1),
                optimize_mode: Some(0),
            }),
        }
    }

    /// What proto3 (or proto2) files behave as (descriptor.proto's `EDITION_PROTO3` and
    /// `EDITION_LEGACY` defaults; the language features' likewise).
    pub fn of_syntax(proto3: bool) -> FeatureSet {
        let pick = |proto3_value: i32, proto2_value: i32| {
            Some(if proto3 { proto3_value } else { proto2_value })
        };
        let legacy = Some(!proto3);
        FeatureSet {
            field_presence: pick(IMPLICIT, EXPLICIT),
            enum_type: pick(OPEN, 2),
            repeated_field_encoding: pick(1, 2),
            utf8_validation: pick(VERIFY, 3),
            message_encoding: Some(1),
            json_format: pick(ALLOW, 2),
            enforce_naming_style: Some(2),
            default_symbol_visibility: Some(1),
            cpp: Some(CppFeatures {
                legacy_closed_enum: legacy,
                string_type: Some(CPP_STRING),
                enum_name_uses_string_view: Some(false),
            }),
            java: Some(JavaFeatures {
                legacy_closed_enum: legacy,
                utf8_validation: Some(1),
                large_enum: Some(false),
                use_old_outer_classname_default: Some(true),
                nest_in_file_class: Some(3),
            }),
            go: Some(GoFeatures {
                legacy_unmarshal_json_enum: legacy,
                api_level: Some(0),
                strip_enum_prefix: Some(1),
                optimize_mode: Some(0),
            }),
        }
    }

    fn merge(&mut self, child: Option<&FeatureSet>) {
        let Some(c) = child else { return };
        merge!(self, c; field_presence, enum_type, repeated_field_encoding, utf8_validation,
            message_encoding, json_format, enforce_naming_style, default_symbol_visibility);
        if let (Some(own), Some(c)) = (self.cpp.as_mut(), c.cpp) {
            merge!(own, c; legacy_closed_enum, string_type, enum_name_uses_string_view);
        }
        if let (Some(own), Some(c)) = (self.java.as_mut(), c.java) {
            merge!(own, c; legacy_closed_enum, utf8_validation, large_enum,
                use_old_outer_classname_default, nest_in_file_class);
        }
        if let (Some(own), Some(c)) = (self.go.as_mut(), c.go) {
            merge!(own, c; legacy_unmarshal_json_enum, api_level, strip_enum_prefix, optimize_mode);
        }
    }

    /// The resolved C++ string type (`(pb.cpp).string_type`).
    pub fn cpp_string_type(&self) -> i32 {
        self.cpp.and_then(|c| c.string_type).unwrap_or(CPP_STRING)
    }

    /// Whether Java validates UTF-8 by its own feature (`(pb.java).utf8_validation = VERIFY`).
    pub fn java_verifies_utf8(&self) -> bool {
        self.java.and_then(|j| j.utf8_validation) == Some(JAVA_VERIFY)
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
    #[prost(message, repeated, tag = "6")]
    service: Vec<ServiceF>,
    #[prost(message, repeated, tag = "7")]
    extension: Vec<FieldF>,
    #[prost(message, optional, tag = "8")]
    options: Option<FileOptionsF>,
    #[prost(int32, optional, tag = "14")]
    pub edition: Option<i32>,
    /// Edition 2024's `import option` files (not in prost-types' `dependency`).
    #[prost(string, repeated, tag = "15")]
    pub option_dependency: Vec<String>,
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
    #[prost(message, repeated, tag = "2")]
    value: Vec<EnumValueF>,
    #[prost(message, optional, tag = "3")]
    options: Option<EnumOptionsF>,
}

#[derive(Clone, PartialEq, Message)]
struct EnumValueF {
    #[prost(message, optional, tag = "3")]
    options: Option<EnumValueOptionsF>,
}

#[derive(Clone, PartialEq, Message)]
struct ServiceF {
    #[prost(message, repeated, tag = "2")]
    method: Vec<MethodF>,
    #[prost(message, optional, tag = "3")]
    options: Option<ServiceOptionsF>,
}

#[derive(Clone, PartialEq, Message)]
struct MethodF {
    #[prost(message, optional, tag = "4")]
    options: Option<MethodOptionsF>,
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
options!(EnumValueOptionsF, "2");
options!(ServiceOptionsF, "34");
options!(MethodOptionsF, "35");

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

    /// The features in effect at the element at `path` (a message, field, extension, oneof,
    /// enum, enum value, service or method, as in source info), inherited from the file down.
    pub fn resolve(&self, path: &[i32]) -> FeatureSet {
        let mut set = FeatureSet::defaults(self.edition);
        set.merge(self.options.as_ref().and_then(|o| o.features.as_ref()));
        let mut message: Option<&MessageF> = None;
        let mut pairs = path.chunks(2);
        while let Some(pair) = pairs.next() {
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
                    let value = match pairs.next() {
                        Some(&[2, value]) => e.value.get(value as usize),
                        _ => None,
                    };
                    set.merge(value.and_then(|v| v.options.as_ref()?.features.as_ref()));
                    break;
                }
                (None, 6) => {
                    let Some(s) = self.service.get(index) else {
                        break;
                    };
                    set.merge(s.options.as_ref().and_then(|o| o.features.as_ref()));
                    let method = match pairs.next() {
                        Some(&[2, method]) => s.method.get(method as usize),
                        _ => None,
                    };
                    set.merge(method.and_then(|m| m.options.as_ref()?.features.as_ref()));
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

    /// The defaults written here are the carried files' `edition_defaults` (for proto2,
    /// proto3, 2023 and 2024), feature for feature.
    #[test]
    fn language_defaults_are_the_files_edition_defaults() {
        let names = |v: i32, all: &[&'static str]| all[v as usize].to_string();
        let render = |set: &FeatureSet| -> Vec<(String, String)> {
            let (c, j, g) = (set.cpp.unwrap(), set.java.unwrap(), set.go.unwrap());
            let b = |v: Option<bool>| v.unwrap().to_string();
            vec![
                ("cpp.legacy_closed_enum".into(), b(c.legacy_closed_enum)),
                (
                    "cpp.string_type".into(),
                    names(c.string_type.unwrap(), &CPP_STRING_TYPES),
                ),
                (
                    "cpp.enum_name_uses_string_view".into(),
                    b(c.enum_name_uses_string_view),
                ),
                ("java.legacy_closed_enum".into(), b(j.legacy_closed_enum)),
                (
                    "java.utf8_validation".into(),
                    names(j.utf8_validation.unwrap(), &["", "DEFAULT", "VERIFY"]),
                ),
                ("java.large_enum".into(), b(j.large_enum)),
                (
                    "java.use_old_outer_classname_default".into(),
                    b(j.use_old_outer_classname_default),
                ),
                (
                    "java.nest_in_file_class".into(),
                    names(j.nest_in_file_class.unwrap(), &["", "NO", "YES", "LEGACY"]),
                ),
                (
                    "go.legacy_unmarshal_json_enum".into(),
                    b(g.legacy_unmarshal_json_enum),
                ),
                (
                    "go.api_level".into(),
                    names(
                        g.api_level.unwrap(),
                        &[
                            "API_LEVEL_UNSPECIFIED",
                            "API_OPEN",
                            "API_HYBRID",
                            "API_OPAQUE",
                        ],
                    ),
                ),
                (
                    "go.strip_enum_prefix".into(),
                    names(
                        g.strip_enum_prefix.unwrap(),
                        &["", "STRIP_ENUM_PREFIX_KEEP"],
                    ),
                ),
                (
                    "go.optimize_mode".into(),
                    names(g.optimize_mode.unwrap(), &["OPTIMIZE_MODE_UNSPECIFIED"]),
                ),
            ]
        };
        let field = regex::Regex::new(r"(?s)optional \S+ (\w+) = \d+ \[(.*?)\];").unwrap();
        let default = regex::Regex::new(r#"edition:\s*EDITION_(\w+),\s*value:\s*"(\w+)""#).unwrap();
        let number = |edition: &str| match edition {
            "LEGACY" => 900,
            "PROTO3" => 999,
            "2023" => 1000,
            "2024" => 1001,
            _ => i32::MAX, // EDITION_UNSTABLE and later: never reached here
        };
        for (edition, ours) in [
            (900, FeatureSet::of_syntax(false)),
            (999, FeatureSet::of_syntax(true)),
            (1000, FeatureSet::defaults(Some(1000))),
            (1001, FeatureSet::defaults(Some(1001))),
        ] {
            let mut theirs = Vec::new();
            for (language, file) in [("cpp", "cpp"), ("java", "java"), ("go", "go")] {
                let name = format!("google/protobuf/{file}_features.proto");
                let text = crate::contract::known::FILES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap()
                    .1;
                for f in field.captures_iter(text) {
                    let value = default
                        .captures_iter(&f[2])
                        .filter(|d| number(&d[1]) <= edition)
                        .last()
                        .map(|d| d[2].to_string());
                    if let Some(value) = value.filter(|_| &f[1] != "repeated_type") {
                        theirs.push((format!("{language}.{}", &f[1]), value));
                    }
                }
            }
            let mut ours = render(&ours);
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs, "edition {edition}");
        }
    }

    #[test]
    fn language_features_resolve_from_the_file_down() {
        let text = r#"edition = "2024";
package p;
import "google/protobuf/cpp_features.proto";
import "google/protobuf/java_features.proto";
option features.(pb.java).utf8_validation = VERIFY;
message M {
  string a = 1;
  string b = 2 [features.(pb.cpp).string_type = CORD, features.(pb.java).utf8_validation = DEFAULT];
}
"#;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.proto"), text).unwrap();
        let contract = crate::contract::load(
            &crate::contract::Source::Dir(dir.path().to_path_buf()),
            crate::contract::Side::Current,
            &crate::contract::LoadOptions::default(),
        )
        .unwrap();
        let features = contract.editions.get("p.proto").expect("an editions file");
        let a = features.resolve(&[4, 0, 2, 0]);
        assert_eq!(a.cpp_string_type(), 1); // VIEW, 2024's default
        assert!(a.java_verifies_utf8());
        let b = features.resolve(&[4, 0, 2, 1]);
        assert_eq!(b.cpp_string_type(), 2); // CORD
        assert!(!b.java_verifies_utf8());
        // The core features are still resolved alongside.
        assert_eq!(b.utf8_validation, Some(VERIFY));
    }
}
