//! The run-input reply: `{"envs": {..}, "files": {..}, "secrets": {..}}`.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// Secret values by key. `Debug` shows only the keys.
///
/// ```
/// let s = task_boot::SecretMap::from_plain([("B".to_string(), "2".to_string()), ("A".to_string(), "1".to_string())]);
/// assert_eq!(s.keys().collect::<Vec<_>>(), ["A", "B"]);
/// assert!(!format!("{s:?}").contains('1'));
/// ```
#[derive(Default)]
pub struct SecretMap(BTreeMap<String, SecretString>);

impl SecretMap {
    /// Builds the map from plain values (tests, other front ends).
    ///
    /// ```
    /// let s = task_boot::SecretMap::from_plain([("TOKEN".to_string(), "s3cr3t".to_string())]);
    /// let shown = format!("{s:?}");
    /// assert!(shown.contains(r#""TOKEN": "[REDACTED]""#) && !shown.contains("s3cr3t"));
    /// ```
    pub fn from_plain(entries: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(
            entries
                .into_iter()
                .map(|(k, v)| (k, SecretString::from(v)))
                .collect(),
        )
    }

    /// Number of secrets.
    ///
    /// ```
    /// let s = task_boot::SecretMap::from_plain([("B".to_string(), "2".to_string()), ("A".to_string(), "1".to_string())]);
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(task_boot::SecretMap::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys, sorted.
    ///
    /// ```
    /// let s = task_boot::SecretMap::from_plain([("B".to_string(), "2".to_string()), ("A".to_string(), "1".to_string())]);
    /// assert_eq!(s.keys().collect::<Vec<_>>(), ["A", "B"]);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The entries, sorted by key. The caller takes care not to log values.
    ///
    /// ```
    /// let s = task_boot::SecretMap::from_plain([("B".to_string(), "2".to_string()), ("A".to_string(), "1".to_string())]);
    /// use secrecy::ExposeSecret;
    /// let (k, v) = s.iter().next().unwrap();
    /// assert_eq!((k, v.expose_secret()), ("A", "1"));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SecretString)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub(crate) fn exposed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.expose_secret()))
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretMap ")?;
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "[REDACTED]")))
            .finish()
    }
}

impl<'de> Deserialize<'de> for SecretMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let plain: Option<BTreeMap<String, String>> = Option::deserialize(d)?;
        Ok(Self::from_plain(plain.unwrap_or_default()))
    }
}

/// What the server compiled for one job run. `Debug` shows file names and
/// sizes and secret keys, never file contents or secret values.
#[derive(Default, Deserialize)]
pub struct RunInput {
    /// Plain env values by key (go to `.env`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub envs: BTreeMap<String, String>,
    /// File contents by name (go to `in/<name>`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub files: BTreeMap<String, String>,
    /// Secret values by key (go to `.secret`).
    #[serde(default)]
    pub secrets: SecretMap,
}

impl fmt::Debug for RunInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: BTreeMap<&str, String> = self
            .files
            .iter()
            .map(|(k, v)| (k.as_str(), format!("{} bytes", v.len())))
            .collect();
        let envs: Vec<&str> = self.envs.keys().map(String::as_str).collect();
        f.debug_struct("RunInput")
            .field("envs", &envs)
            .field("files", &files)
            .field("secrets", &self.secrets)
            .finish()
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reply_and_hides_secrets_in_debug() {
        let raw = r#"{"envs":{"A":"1"},"files":{"q.sql":"select 1"},"secrets":{"TOKEN":"SENTINEL-42"},"extra":1}"#;
        let input: RunInput = serde_json::from_str(raw).unwrap();
        assert_eq!(input.envs["A"], "1");
        assert_eq!(input.secrets.keys().collect::<Vec<_>>(), ["TOKEN"]);
        let shown = format!("{input:?} {input:#?}");
        assert!(!shown.contains("SENTINEL-42"), "{shown}");
        assert!(!shown.contains("select 1"), "{shown}");
        assert!(
            shown.contains("TOKEN") && shown.contains("8 bytes"),
            "{shown}"
        );
    }

    #[test]
    fn null_and_missing_maps_are_empty() {
        let input: RunInput = serde_json::from_str(r#"{"envs":null,"secrets":null}"#).unwrap();
        assert!(input.envs.is_empty() && input.files.is_empty() && input.secrets.is_empty());
    }
}
