//! The zip walker (over a spooled file: zip needs random access).

use std::collections::HashSet;
use std::fs::File;

use super::Extractor;
use crate::error::{Error, Result};

impl Extractor<'_> {
    /// Walks a zip archive held in a (spooled) file.
    pub(crate) fn zip(&mut self, file: File) -> Result<()> {
        let mut archive = ::zip::ZipArchive::new(file).map_err(|e| Error::BadArchive {
            artifact: self.artifact.to_owned(),
            detail: e.to_string(),
        })?;
        if archive.has_duplicate_names() {
            let mut seen = HashSet::new();
            let dup = archive
                .file_names()
                .filter_map(std::result::Result::ok)
                .find(|n| !seen.insert(n.to_string()))
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default();
            return Err(self.refuse(
                &dup,
                "duplicate entry: this path appears twice in the archive",
            ));
        }
        if archive.len() as u64 > self.limits.max_entries {
            return Err(self.refuse(
                "",
                format!(
                    "{} entries, more than {} (limit max_entries)",
                    archive.len(),
                    self.limits.max_entries
                ),
            ));
        }
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| Error::BadArchive {
                artifact: self.artifact.to_owned(),
                detail: format!("entry #{i}: {e}"),
            })?;
            let name = match entry.name() {
                Ok(n) => n.into_owned(),
                Err(e) => {
                    let shown = String::from_utf8_lossy(entry.name_raw()).into_owned();
                    return Err(self.refuse(&shown, format!("bad name: {e}")));
                }
            };
            let mode = entry.unix_mode();
            let file_type = mode.map_or(0, |m| m & 0o170_000);
            if entry.is_symlink() || file_type == 0o120_000 {
                return Err(self.refuse(
                    &name,
                    "symbolic link: links are not allowed in plugin archives",
                ));
            }
            if entry.is_dir() {
                self.dir(&name)?;
            } else if file_type == 0 || file_type == 0o100_000 {
                let declared = Some(entry.size());
                self.file(&name, mode.unwrap_or(0o644), declared, &mut entry)?;
            } else {
                return Err(self.refuse(
                    &name,
                    "device or special file: only regular files and folders are allowed",
                ));
            }
        }
        Ok(())
    }
}
