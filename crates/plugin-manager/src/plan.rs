//! The plan: what happens to each artifact, decided from the receipts of the
//! current set, the pins and (when there is no pin) the store's metadata.
//!
//! An installed artifact counts as **unchanged**, so it is neither
//! downloaded nor rewritten, when its unpack format is the same and
//! * it has a sha256 pin (config or lock file) equal to the receipt's
//!   sha256; no request is made at all; or
//! * without a pin, the store's metadata from a HEAD request matches what
//!   was recorded at download time: the same ETag, or the same generation /
//!   version id, or the same size and last-modified time.
//!
//! Otherwise it is downloaded; if its bytes then hash to the receipt's
//! sha256 it still counts as unchanged, and a set whose artifacts are all
//! unchanged is not rewritten.

use plugin_repo::ArtifactMeta;
use serde::Serialize;

use crate::extract::Format;
use crate::receipt::ArtifactReceipt;

/// What happens to one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Not installed yet.
    Add,
    /// Installed, and (maybe) changed: downloaded again.
    Update,
    /// Installed and unchanged: kept as is.
    Unchanged,
    /// Installed but no longer in the config: left out of the new set.
    Remove,
}

impl Action {
    /// `add`, `update`, `unchanged` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Remove => "remove",
        }
    }
}

/// One line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    /// The artifact's source key.
    pub source: String,
    /// What happens to it.
    pub action: Action,
    /// Why, in a few words.
    pub reason: String,
}

/// The whole plan, config order, removals last.
///
/// # Examples
///
/// ```
/// use plugin_manager::{Action, Plan, PlanItem};
/// let item = |source: &str, action| PlanItem { source: source.into(), action, reason: String::new() };
/// let plan = Plan { items: vec![item("dist:a.tar.gz", Action::Unchanged), item("dist:b.zip", Action::Add)] };
/// assert!(!plan.is_noop());
/// assert_eq!(plan.count(Action::Add), 1);
/// assert_eq!(Action::Unchanged.as_str(), "unchanged");
/// assert!(Plan::default().is_noop());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// One item per artifact.
    pub items: Vec<PlanItem>,
}

impl Plan {
    /// True when nothing is added, updated or removed.
    pub fn is_noop(&self) -> bool {
        self.items.iter().all(|i| i.action == Action::Unchanged)
    }

    /// How many items have `action`.
    pub fn count(&self, action: Action) -> usize {
        self.items.iter().filter(|i| i.action == action).count()
    }
}

/// Decides one artifact. `head` is the store's metadata when it was asked
/// (only for installed artifacts without a pin).
///
/// ```
/// use plugin_manager::{decide, Action, Format};
/// let (action, _) = decide(&Format::TarGz, None, None, None, false);
/// assert_eq!(action, Action::Add);
/// ```
pub fn decide(
    format: &Format,
    pin: Option<&str>,
    receipt: Option<&ArtifactReceipt>,
    head: Option<&ArtifactMeta>,
    force: bool,
) -> (Action, String) {
    let Some(receipt) = receipt else {
        return (Action::Add, "not installed".into());
    };
    if force {
        return (Action::Update, "--force".into());
    }
    if &receipt.format != format {
        return (Action::Update, "unpack options changed".into());
    }
    if let Some(pin) = pin {
        return if pin == receipt.sha256 {
            (
                Action::Unchanged,
                "sha256 pin matches the installed artifact".into(),
            )
        } else {
            (
                Action::Update,
                "sha256 pin differs from the installed artifact".into(),
            )
        };
    }
    let Some(head) = head else {
        return (
            Action::Update,
            "no metadata from the store; download and compare".into(),
        );
    };
    let old = &receipt.meta;
    let size_ok = match (head.size, old.size) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    if !size_ok {
        return (Action::Update, "size changed at the source".into());
    }
    if let (Some(a), Some(b)) = (&head.etag, &old.etag) {
        return if a == b {
            (Action::Unchanged, "same ETag".into())
        } else {
            (Action::Update, "ETag changed at the source".into())
        };
    }
    if let (Some(a), Some(b)) = (&head.version, &old.version) {
        return if a == b {
            (Action::Unchanged, "same generation/version".into())
        } else {
            (
                Action::Update,
                "generation/version changed at the source".into(),
            )
        };
    }
    if let (Some(a), Some(b), Some(_)) = (&head.last_modified, &old.last_modified, head.size) {
        return if a == b {
            (Action::Unchanged, "same size and last-modified time".into())
        } else {
            (
                Action::Update,
                "last-modified time changed at the source".into(),
            )
        };
    }
    (
        Action::Update,
        "the store gives no ETag or version; download and compare".into(),
    )
}
