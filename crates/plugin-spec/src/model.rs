//! The one in-memory model of a YAML plugin, whatever spelling it was read from.
//!
//! `Serialize` writes the upstream spelling (lowercase keys), which is what
//! [`Plugin::to_yaml`] emits; empty optional fields are left out.

use serde::Serialize;

/// A YAML plugin (`optimus-plugin-<name>.yaml`).
///
/// Read one with [`crate::load_str`] or [`crate::load_file`]; build one in code
/// and check it with [`Plugin::validate`].
///
/// ```
/// let plugin = plugin_spec::load_str(
///     "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: ghcr.io/example/neo:0.1.0\n\
///      entrypoint:\n  script: neo run\n",
///     "optimus-plugin-neo.yaml",
/// )?;
/// assert_eq!(plugin.name, "neo");
/// assert_eq!(plugin.plugin_type, plugin_spec::PluginType::Task);
/// assert_eq!(plugin.entrypoint.as_ref().map(|e| e.shell.as_str()), Some("/bin/sh"));
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Plugin {
    /// Plugin name (`name` / `Name`); also the `<name>` of the file name.
    pub name: String,
    /// One-line description (`description` / `Description`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Task or hook (`plugintype` / `PluginType`).
    #[serde(rename = "plugintype")]
    pub plugin_type: PluginType,
    /// Plugin modules (`pluginmods` / `PluginMods`), e.g. `cli`, `dependencyresolver`.
    #[serde(rename = "pluginmods", skip_serializing_if = "Vec::is_empty")]
    pub plugin_mods: Vec<String>,
    /// Plugin version (`pluginversion` / `Version`).
    #[serde(rename = "pluginversion")]
    pub version: String,
    /// Supported API versions (`apiversion` / `ApiVersion`).
    #[serde(rename = "apiversion", skip_serializing_if = "Vec::is_empty")]
    pub api_version: Vec<String>,
    /// Container image the job's executor runs (`image` / `Image`).
    pub image: String,
    /// How the executor starts (`entrypoint` / `Entrypoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Entrypoint>,
    /// goto's asset parsers (`asset_parsers`): per parser (`bq`,
    /// `maxcompute`, ...), where to find the query. In file order.
    #[serde(
        rename = "asset_parsers",
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "serialize_parsers"
    )]
    pub asset_parsers: Vec<AssetParser>,
    /// goto's template of the job's destination URN (`destination_urn_template`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub destination_urn_template: String,
    /// Plugins this one depends on (`dependson` / `DependsOn`).
    #[serde(rename = "dependson", skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// When a hook runs (`hooktype` / `HookType`); only for hooks.
    #[serde(rename = "hooktype", skip_serializing_if = "Option::is_none")]
    pub hook_type: Option<HookType>,
    /// Questions asked when a job using the plugin is created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
    /// Static config added after the answers (`defaultconfig` / `DefaultConfig`).
    #[serde(rename = "defaultconfig", skip_serializing_if = "Vec::is_empty")]
    pub default_config: Vec<NamedValue>,
    /// Asset files created for a new job (`defaultassets` / `DefaultAssets`).
    #[serde(rename = "defaultassets", skip_serializing_if = "Vec::is_empty")]
    pub default_assets: Vec<NamedValue>,
    /// The other entries of a v0.20.7+ file's `plugin_versions` (the
    /// `default` one is `image`, `version` and `entrypoint`). The classic
    /// format has no place for them, so they are not written by
    /// [`Plugin::to_yaml`](crate::Plugin::to_yaml).
    #[serde(skip)]
    pub other_versions: Vec<PluginVersion>,
}

/// One parser of `asset_parsers` and its evaluators.
///
/// ```
/// let src = "version: 1\nname: lake\nasset_parsers:\n  bq:\n    - filepath: ./query.sql\n\
///            plugin_versions:\n  default: {image: ex/lake, tag: '2', entrypoint: {script: run}}\n\
///            \x20 '1.9': {tag: 1.9.4}\n";
/// let plugin = plugin_spec::load_str(src, "lake.yaml")?;
/// assert_eq!(plugin.asset_parsers[0].parser, "bq");
/// assert_eq!(plugin.asset_parsers[0].evaluators[0].filepath, "./query.sql");
/// assert_eq!(plugin.other_versions[0].key, "1.9");
/// assert_eq!(plugin.other_versions[0].image, ""); // the default's
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssetParser {
    /// The parser (`bq`, `maxcompute`, ...).
    pub parser: String,
    /// Where the parser finds its input.
    pub evaluators: Vec<Evaluator>,
}

/// Where an asset parser finds its input: an env var, a file, a selector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Evaluator {
    /// An environment variable.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub env: String,
    /// An asset file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filepath: String,
    /// A selector (a YAML path) into that file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub selector: String,
}

/// A non-default entry of a v0.20.7+ file's `plugin_versions`: empty fields
/// fall back to the default's.
///
/// ```
/// let src = "version: 1\nname: lake\nasset_parsers:\n  bq:\n    - filepath: ./query.sql\n\
///            plugin_versions:\n  default: {image: ex/lake, tag: '2', entrypoint: {script: run}}\n\
///            \x20 '1.9': {tag: 1.9.4}\n";
/// let plugin = plugin_spec::load_str(src, "lake.yaml")?;
/// assert_eq!(plugin.asset_parsers[0].parser, "bq");
/// assert_eq!(plugin.asset_parsers[0].evaluators[0].filepath, "./query.sql");
/// assert_eq!(plugin.other_versions[0].key, "1.9");
/// assert_eq!(plugin.other_versions[0].image, ""); // the default's
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PluginVersion {
    /// The key (the job config's `VERSION` selects it).
    pub key: String,
    /// Image without tag.
    pub image: String,
    /// Image tag.
    pub tag: String,
    /// Entrypoint shell (empty: the default's).
    pub shell: String,
    /// Entrypoint script (empty: the default's).
    pub script: String,
}

fn serialize_parsers<S: serde::Serializer>(
    parsers: &[AssetParser],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(parsers.len()))?;
    for p in parsers {
        map.serialize_entry(&p.parser, &p.evaluators)?;
    }
    map.end()
}

/// Whether a plugin is a job's main task or a hook around it.
///
/// ```
/// use plugin_spec::PluginType;
/// assert_eq!(PluginType::default(), PluginType::Task);
/// assert_eq!(PluginType::Hook.to_string(), "hook");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginType {
    /// The job's transformation.
    #[default]
    Task,
    /// Runs before, after or on failure of the task.
    Hook,
}

impl PluginType {
    /// The upstream spelling: `task` or `hook`.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginType::Task => "task",
            PluginType::Hook => "hook",
        }
    }
}

impl std::fmt::Display for PluginType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a hook runs relative to the task.
///
/// ```
/// let src = "name: audit\nplugintype: hook\nhooktype: post\npluginversion: 1\n\
///            image: audit:1\nentrypoint:\n  script: run\n";
/// let plugin = plugin_spec::load_str(src, "audit.yaml")?;
/// assert_eq!(plugin.hook_type.map(|h| h.as_str()), Some("post"));
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HookType {
    /// Before the task.
    Pre,
    /// After the task succeeded.
    Post,
    /// After the task failed.
    Fail,
}

impl HookType {
    /// The upstream spelling: `pre`, `post` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            HookType::Pre => "pre",
            HookType::Post => "post",
            HookType::Fail => "fail",
        }
    }
}

impl std::fmt::Display for HookType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the executor container starts: `shell -c script`.
///
/// ```
/// let src = "name: neo\nplugintype: task\npluginversion: 1\nimage: neo:1\n\
///            entrypoint:\n  script: neo run\n";
/// let ep = plugin_spec::load_str(src, "neo.yaml")?.entrypoint.expect("an entrypoint");
/// assert_eq!((ep.shell.as_str(), ep.script.as_str()), ("/bin/sh", "neo run"));
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entrypoint {
    /// Shell that runs the script; `/bin/sh` when the YAML leaves it out.
    pub shell: String,
    /// The script.
    pub script: String,
}

impl Entrypoint {
    /// The shell used when a plugin names none.
    pub const DEFAULT_SHELL: &'static str = "/bin/sh";
}

/// A question asked when a job using the plugin is created.
///
/// `min_length` / `max_length` of 0 mean "no limit", as upstream; they are
/// read into `None`.
///
/// ```
/// let mut q = plugin_spec::Question::new("TABLE");
/// q.regexp = Some("^[a-z_]+$".into());
/// q.required = true;
/// assert_eq!(q.min_length, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Question {
    /// Config key the answer is stored under.
    pub name: String,
    /// What the user is asked.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prompt: String,
    /// Longer help text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// Answer used when none is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The options to choose one from (upstream calls the key `multiselect`).
    #[serde(rename = "multiselect", skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Follow-up questions asked when the answer equals their `ifvalue`.
    #[serde(rename = "subquestions", skip_serializing_if = "Vec::is_empty")]
    pub sub_questions: Vec<SubQuestion>,
    /// Regular expression a non-empty answer must match (unanchored search,
    /// like Go's `regexp.MatchString`; anchor it with `^...$`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regexp: Option<String>,
    /// Message shown when the answer does not match `regexp`.
    #[serde(rename = "validationerror", skip_serializing_if = "String::is_empty")]
    pub validation_error: String,
    /// Minimum answer length in characters.
    /// Upstream takes any integer; a negative one is warned about.
    #[serde(rename = "minlength", skip_serializing_if = "Option::is_none")]
    pub min_length: Option<i64>,
    /// Maximum answer length in characters.
    #[serde(rename = "maxlength", skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i64>,
    /// An empty answer is refused.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

impl Question {
    /// A question with this name and nothing else set.
    pub fn new(name: impl Into<String>) -> Self {
        Question {
            name: name.into(),
            ..Question::default()
        }
    }
}

/// Follow-up questions asked when the parent's answer equals `if_value`.
///
/// ```
/// let mut q = plugin_spec::Question::new("LOAD");
/// q.options = vec!["APPEND".into(), "REPLACE".into()];
/// q.sub_questions.push(plugin_spec::SubQuestion {
///     if_value: "REPLACE".into(),
///     questions: vec![plugin_spec::Question::new("PARTITION")],
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SubQuestion {
    /// The parent answer that triggers these questions.
    #[serde(rename = "ifvalue")]
    pub if_value: String,
    /// The follow-up questions.
    pub questions: Vec<Question>,
}

/// A `{name, value}` pair of `defaultconfig` or `defaultassets`.
///
/// ```
/// let v = plugin_spec::NamedValue::new("query.sql", "select 1");
/// assert_eq!(v.name, "query.sql");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NamedValue {
    /// Config key or asset file name.
    pub name: String,
    /// Config value or asset file content.
    pub value: String,
}

impl NamedValue {
    /// A pair.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        NamedValue {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// The three formats of the YAML plugin file. Serialized as `upstream`,
/// `design` or `spec`.
///
/// ```
/// let src = "version: 1\nname: lake\nplugin_versions:\n  default: {image: ex/lake, tag: '2', entrypoint: {script: run}}\n";
/// let (_, spelling) = plugin_spec::load_with_spelling(src, "lake.yaml")?;
/// assert_eq!(spelling, plugin_spec::Spelling::Spec);
/// assert_eq!(spelling.as_str(), "spec");
/// # Ok::<(), plugin_spec::SpecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Spelling {
    /// Classic upstream Optimus (raystack, goto up to v0.20.6): lowercase
    /// keys (`plugintype`, `pluginversion`, ...), read strictly.
    Upstream,
    /// The "Simplify Plugins" design document: PascalCase keys (`Name`, `Version`, ...).
    Design,
    /// goto/optimus v0.20.7 and later: `version: 1`, `plugin_versions`,
    /// `default_config` as a map; unknown keys are ignored upstream.
    Spec,
}

impl Spelling {
    /// A short name: `classic`, `design` or `spec`.
    pub fn as_str(self) -> &'static str {
        match self {
            Spelling::Upstream => "classic",
            Spelling::Design => "design",
            Spelling::Spec => "spec",
        }
    }
}
