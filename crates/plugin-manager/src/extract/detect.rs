//! Which [`Format`] an artifact is, from its path and go-getter options.

use safe_fs::SafeRelPath;

use crate::error::{Error, Result};

/// How an artifact is unpacked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// gzip-compressed tar (`.tar.gz`, `.tgz`).
    TarGz,
    /// Plain tar.
    Tar,
    /// Zip (spooled to a temporary file first: zip needs random access).
    Zip,
    /// Installed as one file with this name.
    File(String),
}

impl Format {
    /// Picks the format from the artifact's path (`archive` and `filename`
    /// are the go-getter options; `archive=false` means "one file").
    ///
    /// ```
    /// use plugin_manager::Format;
    /// assert_eq!(Format::detect("x/bq2bq.tgz", None, None).unwrap(), Format::TarGz);
    /// assert_eq!(Format::detect("a.zip", Some("false"), None).unwrap(), Format::File("a.zip".into()));
    /// assert_eq!(Format::detect("p.yaml", None, Some("q.yaml")).unwrap(), Format::File("q.yaml".into()));
    /// ```
    pub fn detect(path: &str, archive: Option<&str>, filename: Option<&str>) -> Result<Format> {
        let base = path.rsplit('/').next().unwrap_or(path);
        let by_name = if has_ext(base, ".tar.gz") || has_ext(base, ".tgz") {
            Some(Format::TarGz)
        } else if has_ext(base, ".tar") {
            Some(Format::Tar)
        } else if has_ext(base, ".zip") {
            Some(Format::Zip)
        } else {
            None
        };
        let chosen = match archive.map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "true") => by_name,
            Some("false") => None,
            Some("tar.gz" | "tgz") => Some(Format::TarGz),
            Some("tar") => Some(Format::Tar),
            Some("zip") => Some(Format::Zip),
            Some(other) => {
                return Err(Error::Config(format!(
                    "{path}: archive={other:?} is not supported (use tar.gz, tgz, tar, zip or false)"
                )));
            }
        };
        if let Some(f) = chosen {
            return Ok(f);
        }
        let name = filename.unwrap_or(base);
        let safe = SafeRelPath::new(name)
            .map_err(|e| Error::Config(format!("{path}: bad file name: {e}")))?;
        if safe.depth() != 1 {
            return Err(Error::Config(format!(
                "{path}: file name {name:?} must not contain '/'"
            )));
        }
        Ok(Format::File(safe.as_str().to_owned()))
    }
}

/// Case-insensitive "ends with" for file extensions.
pub(crate) fn has_ext(name: &str, ext: &str) -> bool {
    name.len() >= ext.len()
        && name.is_char_boundary(name.len() - ext.len())
        && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
}
