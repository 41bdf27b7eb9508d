//! The model types read on the fast path, each as [`Mapping`] of its field
//! table, and the plugin at the root.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::give_up;
use super::seeds::{Flag, Item, KeySeed, Length, List, Mapping, Text, entries, mapping, or_empty};
use crate::keys::{self, Field};
use crate::model::{
    Entrypoint, HookType, NamedValue, Plugin, PluginType, Question, Spelling, SubQuestion,
};

impl Mapping for Entrypoint {
    const TABLE: &'static [Field] = keys::ENTRYPOINT;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let (mut shell, mut script) = (None, None);
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "shell" => shell = map.next_value_seed(Text)?,
                "script" => script = map.next_value_seed(Text)?,
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(Entrypoint {
            shell: shell
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| Entrypoint::DEFAULT_SHELL.to_owned()),
            script: or_empty(script),
        })
    }
}

impl Mapping for Question {
    const TABLE: &'static [Field] = keys::QUESTION;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let mut q = Question::default();
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "name" => q.name = or_empty(map.next_value_seed(Text)?),
                "prompt" => q.prompt = or_empty(map.next_value_seed(Text)?),
                "help" => q.help = or_empty(map.next_value_seed(Text)?),
                "default" => q.default = map.next_value_seed(Text)?,
                "multiselect" => q.options = map.next_value_seed(List(Item))?,
                "subquestions" => {
                    q.sub_questions =
                        map.next_value_seed(List(mapping::<SubQuestion>(spelling)))?;
                }
                "regexp" => q.regexp = map.next_value_seed(Text)?,
                "validationerror" => q.validation_error = or_empty(map.next_value_seed(Text)?),
                "minlength" => q.min_length = map.next_value_seed(Length)?,
                "maxlength" => q.max_length = map.next_value_seed(Length)?,
                "required" => q.required = map.next_value_seed(Flag)?,
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(q)
    }
}

impl Mapping for SubQuestion {
    const TABLE: &'static [Field] = keys::SUB_QUESTION;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let mut sub = SubQuestion::default();
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "ifvalue" => sub.if_value = or_empty(map.next_value_seed(Text)?),
                "questions" => {
                    sub.questions = map.next_value_seed(List(mapping::<Question>(spelling)))?;
                }
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(sub)
    }
}

impl Mapping for NamedValue {
    const TABLE: &'static [Field] = keys::NAMED_VALUE;

    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error> {
        let mut nv = NamedValue::default();
        entries(map, Self::TABLE, spelling, |key, map| {
            match key {
                "name" => nv.name = or_empty(map.next_value_seed(Text)?),
                "value" => nv.value = or_empty(map.next_value_seed(Text)?),
                _ => return Err(give_up()),
            }
            Ok(())
        })?;
        Ok(nv)
    }
}

/// The whole file: a mapping whose first key decides the spelling.
pub(super) struct Root(pub(super) Plugin, pub(super) Spelling);

impl<'de> Deserialize<'de> for Root {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Root, D::Error> {
        d.deserialize_any(RootVisitor)
    }
}

pub(super) struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Root;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a plugin mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Root, A::Error> {
        let mut p = Plugin::default();
        let mut plugin_type = None;
        let mut hook_type = None;
        // The first key decides the spelling; keys of the other one are then
        // refused, so all keys are of one spelling, which is also the one the
        // full loader's majority count picks.
        let mut spelling = None;
        let mut seen = 0u32;
        while let Some((i, sp)) = map.next_key_seed(KeySeed {
            table: keys::PLUGIN,
            spelling,
        })? {
            spelling = Some(sp);
            let bit = 1u32 << i;
            if seen & bit != 0 {
                return Err(give_up());
            }
            seen |= bit;
            match keys::PLUGIN[i].upstream {
                "name" => p.name = or_empty(map.next_value_seed(Text)?),
                "description" => p.description = or_empty(map.next_value_seed(Text)?),
                "plugintype" => plugin_type = map.next_value_seed(Text)?,
                "pluginmods" => p.plugin_mods = map.next_value_seed(List(Item))?,
                "pluginversion" => p.version = or_empty(map.next_value_seed(Text)?),
                "apiversion" => p.api_version = map.next_value_seed(List(Item))?,
                "image" => p.image = or_empty(map.next_value_seed(Text)?),
                "entrypoint" => p.entrypoint = Some(map.next_value_seed(mapping(sp))?),
                "dependson" => p.depends_on = map.next_value_seed(List(Item))?,
                "hooktype" => hook_type = map.next_value_seed(Text)?,
                "questions" => p.questions = map.next_value_seed(List(mapping(sp)))?,
                "defaultconfig" => p.default_config = map.next_value_seed(List(mapping(sp)))?,
                "defaultassets" => p.default_assets = map.next_value_seed(List(mapping(sp)))?,
                _ => return Err(give_up()),
            }
        }
        let Some(spelling) = spelling else {
            return Err(give_up());
        };
        p.plugin_type = match plugin_type.as_deref() {
            Some("task") => PluginType::Task,
            Some("hook") => PluginType::Hook,
            // The design document has no plugin type: its plugins are tasks.
            None if spelling == Spelling::Design => PluginType::Task,
            _ => return Err(give_up()),
        };
        p.hook_type = match hook_type.as_deref() {
            None => None,
            Some("pre") => Some(HookType::Pre),
            Some("post") => Some(HookType::Post),
            Some("fail") => Some(HookType::Fail),
            Some(_) => return Err(give_up()),
        };
        Ok(Root(p, spelling))
    }
}
