//! install's plan, as `install` and `install --dry-run` print it.

use cli_render::plan;
use plugin_manager::{Action, Plan, PlanItem};

use crate::STYLES;

fn item(source: &str, action: Action, reason: &str) -> PlanItem {
    PlanItem {
        source: source.into(),
        action,
        reason: reason.into(),
    }
}

fn mixed() -> Plan {
    Plan {
        items: vec![
            item("web:optimus-plugin-neo.zip", Action::Add, "not installed"),
            item(
                "gs://plugins-bucket/releases/2026-11/bq2bq_0.3.2_linux_amd64.tar.gz",
                Action::Update,
                "ETag changed",
            ),
            item(
                "dist:predator.tar.gz",
                Action::Unchanged,
                "sha256 pin matches",
            ),
            item(
                "dist:old-a.tar.gz",
                Action::Remove,
                "no longer in the config",
            ),
            item(
                "dist:old-b.tar.gz",
                Action::Remove,
                "no longer in the config",
            ),
            item(
                "dist:old-c.tar.gz",
                Action::Remove,
                "no longer in the config",
            ),
        ],
    }
}

#[test]
fn plan_with_changes() {
    for (name, style) in STYLES {
        insta::assert_snapshot!(format!("plan_{name}"), plan::render(&mixed(), false, style));
        insta::assert_snapshot!(
            format!("plan_verbose_{name}"),
            plan::render(&mixed(), true, style)
        );
    }
}

#[test]
fn plan_counts_like_terraform() {
    let text = plan::render(&mixed(), false, cli_render::Style::plain());
    assert!(text.ends_with("Plan: 1 to add, 1 to change, 3 to remove; 1 unchanged.\n"));
    assert!(
        !text.contains("predator"),
        "unchanged hidden without -v: {text}"
    );
    let verbose = plan::render(&mixed(), true, cli_render::Style::plain());
    assert!(verbose.contains("  = dist:predator.tar.gz"), "{verbose}");
}

#[test]
fn nothing_to_do() {
    let same = Plan {
        items: vec![item("web:neo.zip", Action::Unchanged, "same ETag")],
    };
    insta::assert_snapshot!(plan::render(&same, false, cli_render::Style::plain()), @"No changes; 1 unchanged.");
}
