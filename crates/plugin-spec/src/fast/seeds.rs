//! The serde seeds of the fast path: keys matched against a field table,
//! strings, lists, lengths, booleans and mappings, each read through the
//! same serde-saphyr calls as the full loader's node tree; anything unusual
//! gives up.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::give_up;
use crate::keys::Field;
use crate::model::Spelling;

/// A mapping key, found in `table`: its index and the spelling it belongs to.
/// With `spelling` unknown (the first top-level key) both spellings are tried.
pub(super) struct KeySeed {
    pub(super) table: &'static [Field],
    pub(super) spelling: Option<Spelling>,
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = (usize, Spelling);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // `deserialize_string`, as the full loader's `Spanned<String>` keys.
        d.deserialize_string(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = (usize, Spelling);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a known key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let spellings: &[Spelling] = match &self.spelling {
            Some(sp) => std::slice::from_ref(sp),
            None => &[Spelling::Upstream, Spelling::Design],
        };
        for &sp in spellings {
            if let Some(i) = self.table.iter().position(|f| f.accepts(sp, key)) {
                return Ok((i, sp));
            }
        }
        Err(give_up())
    }
}

/// Reads the entries of a mapping (null: no entries), calling `field` with
/// each known key's canonical name; gives up on unknown and duplicate keys.
pub(super) fn entries<'de, A: MapAccess<'de>>(
    mut map: A,
    table: &'static [Field],
    spelling: Spelling,
    mut field: impl FnMut(&'static str, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u32; // every table has fewer than 32 fields
    while let Some((i, _)) = map.next_key_seed(KeySeed {
        table,
        spelling: Some(spelling),
    })? {
        let bit = 1u32 << i;
        if seen & bit != 0 {
            return Err(give_up());
        }
        seen |= bit;
        field(table[i].upstream, &mut map)?;
    }
    Ok(())
}

/// A string field: a YAML string, or null (`None`).
#[derive(Clone, Copy)]
pub(super) struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// An item of a list of strings: a YAML string (null is refused by `decode`).
#[derive(Clone, Copy)]
pub(super) struct Item;

impl<'de> DeserializeSeed<'de> for Item {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        Text.deserialize(d)?.ok_or_else(give_up)
    }
}

/// A list (null: empty) whose items are read with `seed`.
pub(super) struct List<S>(pub(super) S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for List<S> {
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for List<S> {
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self.0)? {
            out.push(item);
        }
        Ok(out)
    }
}

/// `minlength` / `maxlength`: a positive integer; 0 and null are "no
/// limit". Anything else (negative, a float) is left to the full loader.
pub(super) struct Length;

impl<'de> DeserializeSeed<'de> for Length {
    type Value = Option<i64>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Length {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer of 0 or more")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map_or_else(|_| Err(give_up()), |v| Ok((v != 0).then_some(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        if v < 0 {
            Err(give_up())
        } else {
            Ok((v != 0).then_some(v))
        }
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        i64::try_from(v).map_or_else(|_| Err(give_up()), |v| self.visit_i64(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        i64::try_from(v).map_or_else(|_| Err(give_up()), |v| self.visit_i64(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// `required`: true or false; null is false.
pub(super) struct Flag;

impl<'de> DeserializeSeed<'de> for Flag {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Flag {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true or false")
    }
    fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A mapping read into `T` with the tables of one spelling. (A null where a
/// mapping belongs gives up: rare, and left to the full loader.)
pub(super) trait Mapping: Sized {
    const TABLE: &'static [Field];
    fn read<'de, A: MapAccess<'de>>(map: A, spelling: Spelling) -> Result<Self, A::Error>;
}

/// Seed for a [`Mapping`].
pub(super) struct Map<T>(Spelling, std::marker::PhantomData<T>);

impl<T> Clone for Map<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Map<T> {}

pub(super) fn mapping<T>(spelling: Spelling) -> Map<T> {
    Map(spelling, std::marker::PhantomData)
}

impl<'de, T: Mapping> DeserializeSeed<'de> for Map<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Mapping> Visitor<'de> for Map<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::read(map, self.0)
    }
}

/// `Some(text)` unless empty, as `decode::string_or_empty`.
pub(super) fn or_empty(text: Option<String>) -> String {
    text.unwrap_or_default()
}
