//! The buf.yaml version (v1beta1, v1, v2): which rule IDs, categories and deprecated names a
//! configuration's names are read in. protogen.toml reads as v2.

/// The version of a buf.yaml, which decides the rule set, the categories and deprecated IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufVersion {
    V1Beta1,
    V1,
    #[default]
    V2,
}

impl BufVersion {
    pub fn name(self) -> &'static str {
        match self {
            BufVersion::V1Beta1 => "v1beta1",
            BufVersion::V1 => "v1",
            BufVersion::V2 => "v2",
        }
    }

    /// A buf.yaml's `version:` (none is v1beta1, as in buf).
    pub fn parse(name: Option<&str>) -> anyhow::Result<BufVersion> {
        Ok(match name.unwrap_or("v1beta1") {
            "v1beta1" => BufVersion::V1Beta1,
            "v1" => BufVersion::V1,
            "v2" => BufVersion::V2,
            other => {
                anyhow::bail!("unknown buf.yaml version '{other}' (expected v1beta1, v1 or v2)")
            }
        })
    }
}
