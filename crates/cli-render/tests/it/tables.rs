//! Tables: widths from the content, `-` for empty, cut to fit.

use cli_render::table::Table;

fn plugins() -> Table {
    let mut t = Table::new(&["NAME", "TYPE", "VERSION", "IMAGE", "SOURCE", "SHA256", "INSTALLED"])
        .fixed(&[0, 1, 2, 5, 6]);
    t.row([
        "bq2bq",
        "task",
        "0.3.2",
        "docker.io/gotocompany/optimus-task-bq2bq-executor:0.3.2",
        "gs://plugins-bucket/releases/2026-11/bq2bq_0.3.2_linux_amd64.tar.gz",
        "9f86d081884c",
        "3 minutes ago",
    ]);
    t.row(["predator", "hook", "0.2.1", "predator:0.2.1", "web:predator.zip", "2c26b46b68ff", "2 days ago"]);
    t.row(["optimus-plugin-x.yaml", "", "", "", "dist:x.tar.gz", "fcde2b2edba5", "2 days ago"]);
    t
}

#[test]
fn table_fits_or_not() {
    insta::assert_snapshot!("table_uncut", plugins().render(None));
    insta::assert_snapshot!("table_80", plugins().render(Some(80)));
}

#[test]
fn every_line_fits_the_width() {
    for width in [80, 100, 120] {
        let text = plugins().render(Some(width));
        for line in text.lines() {
            assert!(cli_render::table::width(line) <= width, "{width}: {line}");
        }
    }
}
