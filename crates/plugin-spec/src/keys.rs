//! The key tables of both spellings.
//!
//! Every field has a canonical name (the upstream key), the upstream key and
//! the design document's key(s). Positions and violation paths use canonical
//! names; messages use the spelling of the file being read.

use crate::model::Spelling;

/// One key of a mapping in both spellings.
pub(crate) struct Field {
    /// Upstream key, also the canonical name.
    pub upstream: &'static str,
    /// Keys accepted in the design spelling (first one is shown in messages).
    pub design: &'static [&'static str],
}

const fn f(upstream: &'static str, design: &'static [&'static str]) -> Field {
    Field { upstream, design }
}

pub(crate) const PLUGIN: &[Field] = &[
    f("name", &["Name"]),
    f("description", &["Description"]),
    f("plugintype", &["PluginType"]),
    f("pluginmods", &["PluginMods"]),
    f("pluginversion", &["Version"]),
    f("apiversion", &["ApiVersion"]),
    f("image", &["Image"]),
    f("entrypoint", &["Entrypoint"]),
    f("asset_parsers", &["AssetParsers"]),
    f("destination_urn_template", &["DestinationURNTemplate"]),
    f("dependson", &["DependsOn"]),
    f("hooktype", &["HookType"]),
    f("questions", &["Questions"]),
    f("defaultconfig", &["DefaultConfig"]),
    f("defaultassets", &["DefaultAssets"]),
];

pub(crate) const ENTRYPOINT: &[Field] = &[f("shell", &["Shell"]), f("script", &["Script"])];

pub(crate) const QUESTION: &[Field] = &[
    f("name", &["Name"]),
    f("prompt", &["Prompt"]),
    f("help", &["Help"]),
    f("default", &["Default"]),
    f("multiselect", &["Multiselect", "MultiSelect"]),
    f("subquestions", &["SubQuestions"]),
    f("regexp", &["Regexp"]),
    f("validationerror", &["ValidationError"]),
    f("minlength", &["MinLength"]),
    f("maxlength", &["MaxLength"]),
    f("required", &["Required"]),
];

/// An evaluator of `asset_parsers`.
pub(crate) const EVALUATOR: &[Field] = &[
    f("env", &["Env"]),
    f("filepath", &["FilePath"]),
    f("selector", &["Selector"]),
];

pub(crate) const SUB_QUESTION: &[Field] =
    &[f("ifvalue", &["IfValue"]), f("questions", &["Questions"])];

/// The design document writes `DefaultConfig: [{name, value}]` in lowercase;
/// PascalCase is accepted too.
pub(crate) const NAMED_VALUE: &[Field] = &[
    f("name", &["name", "Name"]),
    f("value", &["value", "Value"]),
];

impl Field {
    /// Whether `key` spells this field in `spelling`.
    pub(crate) fn accepts(&self, spelling: Spelling, key: &str) -> bool {
        match spelling {
            Spelling::Upstream | Spelling::Spec => self.upstream == key,
            Spelling::Design => self.design.contains(&key),
        }
    }

    /// How this field is written in `spelling`.
    pub(crate) fn spelled(&self, spelling: Spelling) -> &'static str {
        match spelling {
            Spelling::Upstream => self.upstream,
            Spelling::Design => self.design[0],
            // Only the fields the rules name differ in the spec format.
            Spelling::Spec => match self.upstream {
                "defaultconfig" => "default_config",
                "pluginversion" => "plugin_versions.default.tag",
                "image" => "plugin_versions.default.image",
                other => other,
            },
        }
    }
}

/// How the canonical key `canonical` of `table` is written in `spelling`.
pub(crate) fn spelled(table: &[Field], canonical: &str, spelling: Spelling) -> &'static str {
    table
        .iter()
        .find(|f| f.upstream == canonical)
        .map_or("?", |f| f.spelled(spelling))
}

/// The keys of `table` in `spelling`, in table order, for "expected one of".
pub(crate) fn expected(table: &[Field], spelling: Spelling) -> Vec<&'static str> {
    table.iter().map(|field| field.spelled(spelling)).collect()
}
