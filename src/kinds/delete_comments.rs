//! `delete-comments`: being written.

use super::{KindSpec, ParamError, RuleKind};

pub const SPEC: KindSpec = KindSpec {
    name: "delete-comments",
    summary: "being written",
    compile,
};

fn compile(_de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    Err(ParamError {
        message: "this kind is being written".into(),
        span: None,
    })
}
