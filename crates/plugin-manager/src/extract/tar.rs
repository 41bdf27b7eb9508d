//! The tar walker: regular files and folders only, links and devices refused.

use std::io::Read;

use super::Extractor;
use crate::error::Result;

impl Extractor<'_> {
    /// Walks a tar stream entry by entry.
    pub(crate) fn tar(&mut self, reader: &mut dyn Read) -> Result<()> {
        use ::tar::EntryType as T;
        let mut archive = ::tar::Archive::new(reader);
        let entries = archive.entries().map_err(|e| self.bad(&e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.bad(&e))?;
            let raw_name = entry.path_bytes().into_owned();
            let Ok(name) = String::from_utf8(raw_name.clone()) else {
                let shown = String::from_utf8_lossy(&raw_name).into_owned();
                return Err(self.refuse(&shown, "the name is not valid UTF-8"));
            };
            let header = entry.header();
            let kind = header.entry_type();
            let mode = header.mode().unwrap_or(0o644);
            let declared = header.size().ok();
            match kind {
                T::Regular | T::Continuous => self.file(&name, mode, declared, &mut entry)?,
                T::Directory => self.dir(&name)?,
                T::XGlobalHeader => {}
                T::Symlink => {
                    let target = link_target(&entry);
                    return Err(self.refuse(
                        &name,
                        format!("symbolic link (to {target:?}): links are not allowed in plugin archives"),
                    ));
                }
                T::Link => {
                    let target = link_target(&entry);
                    return Err(self.refuse(
                        &name,
                        format!(
                            "hard link (to {target:?}): links are not allowed in plugin archives"
                        ),
                    ));
                }
                T::Char | T::Block => {
                    return Err(self.refuse(
                        &name,
                        "device file: only regular files and folders are allowed",
                    ));
                }
                T::Fifo => {
                    return Err(
                        self.refuse(&name, "FIFO: only regular files and folders are allowed")
                    );
                }
                T::GNUSparse => {
                    return Err(self.refuse(&name, "sparse file entries are not supported"));
                }
                other => {
                    return Err(self.refuse(
                        &name,
                        format!("unsupported entry type {:?}", other.as_byte() as char),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn link_target<R: Read>(entry: &::tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}
