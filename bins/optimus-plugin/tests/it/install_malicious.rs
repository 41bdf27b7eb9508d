//! Hostile archives: every one is refused with a clear message, the
//! previous set stays in place and nothing is written outside plugin_dir.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::io::Write;

use crate::support::{Project, all_paths, gzip, plugin_entries, targz, zip_bytes};
use predicates::prelude::*;

/// One raw tar entry, written without the tar crate's path checks.
struct Raw {
    name: Vec<u8>,
    kind: tar::EntryType,
    data: Vec<u8>,
    link: Option<&'static str>,
    mode: u32,
}

fn file(name: &str, data: &[u8]) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind: tar::EntryType::Regular,
        data: data.to_vec(),
        link: None,
        mode: 0o644,
    }
}

fn special(name: &str, kind: tar::EntryType, link: Option<&'static str>) -> Raw {
    Raw {
        name: name.as_bytes().to_vec(),
        kind,
        data: Vec::new(),
        link,
        mode: 0o644,
    }
}

fn raw_tar(entries: Vec<Raw>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        {
            let gnu = h.as_gnu_mut().unwrap();
            gnu.name[..e.name.len()].copy_from_slice(&e.name);
            if let Some(l) = e.link {
                gnu.linkname[..l.len()].copy_from_slice(l.as_bytes());
            }
        }
        h.set_mode(e.mode);
        h.set_size(e.data.len() as u64);
        h.set_entry_type(e.kind);
        h.set_cksum();
        b.append(&h, e.data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

/// A good set first; then `artifact` must fail with `want` in the message,
/// leaving the set and the rest of the folder exactly as they were.
fn refused(artifact_name: &str, artifact: &[u8], limits: &str, want: &str) {
    let p = Project::new();
    p.artifact("good.tar.gz", &targz(&plugin_entries("good", "1.0.0")));
    let outside = p.root().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), "keep").unwrap();
    p.local_config(&["good.tar.gz"]);
    p.install().success();
    let set_before = p.snapshot().unwrap();

    p.artifact(artifact_name, artifact);
    let mut cfg = std::fs::read_to_string(p.config()).unwrap();
    cfg.push_str(&format!(
        "    - provider: dist\n      path: {artifact_name}\n"
    ));
    if !limits.is_empty() {
        cfg.push_str(&format!("  limits: {limits}\n"));
    }
    p.write_config(&cfg);
    let paths_before = all_paths(p.root());
    p.install().code(1).stderr(
        predicate::str::contains(want)
            .and(predicate::str::contains(format!("dist:{artifact_name}"))),
    );
    assert_eq!(
        p.snapshot().unwrap(),
        set_before,
        "{artifact_name}: set changed"
    );
    let paths_after = all_paths(p.root());
    assert_eq!(
        paths_after, paths_before,
        "{artifact_name}: something was written outside the set"
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("secret")).unwrap(),
        "keep"
    );
    assert!(!std::path::Path::new("/tmp/optimus-evil-abs").exists());
}

#[test]
fn zip_slip_in_tar() {
    refused(
        "slip.tar",
        &raw_tar(vec![file("../evil.txt", b"x")]),
        "",
        "contains '..'",
    );
}

#[test]
fn nested_parent_escape_in_tar_gz() {
    refused(
        "nested.tar.gz",
        &gzip(&raw_tar(vec![file("a/../../evil.txt", b"x")])),
        "",
        "contains '..'",
    );
}

#[test]
fn absolute_path_in_tar() {
    refused(
        "abs.tar",
        &raw_tar(vec![file("/tmp/optimus-evil-abs", b"x")]),
        "",
        "is absolute",
    );
}

#[test]
fn windows_drive_path_in_tar() {
    refused(
        "drive.tar",
        &raw_tar(vec![file("C:/evil.txt", b"x")]),
        "",
        "is absolute",
    );
}

#[test]
fn backslash_escape_in_tar() {
    refused(
        "bs.tar",
        &raw_tar(vec![file("..\\evil.txt", b"x")]),
        "",
        "forbidden character",
    );
}

#[test]
fn control_character_in_name() {
    refused(
        "ctl.tar",
        &raw_tar(vec![file("evil\n.txt", b"x")]),
        "",
        "forbidden character",
    );
}

#[test]
fn symlink_escape() {
    refused(
        "symlink.tar",
        &raw_tar(vec![special("etc", tar::EntryType::Symlink, Some("/etc"))]),
        "",
        "symbolic link (to \"/etc\")",
    );
}

#[test]
fn symlink_then_write_through_it() {
    refused(
        "through.tar.gz",
        &gzip(&raw_tar(vec![
            special("out", tar::EntryType::Symlink, Some("../outside")),
            file("out/secret", b"owned"),
        ])),
        "",
        "links are not allowed",
    );
}

#[test]
fn hardlink_to_an_absolute_path() {
    refused(
        "hard.tar",
        &raw_tar(vec![special(
            "passwd",
            tar::EntryType::Link,
            Some("/etc/passwd"),
        )]),
        "",
        "hard link (to \"/etc/passwd\")",
    );
}

#[test]
fn hardlink_escape_by_parent() {
    refused(
        "hard2.tar",
        &raw_tar(vec![special(
            "s",
            tar::EntryType::Link,
            Some("../outside/secret"),
        )]),
        "",
        "hard link",
    );
}

#[test]
fn character_device() {
    refused(
        "chr.tar",
        &raw_tar(vec![special("null", tar::EntryType::Char, None)]),
        "",
        "device file",
    );
}

#[test]
fn block_device() {
    refused(
        "blk.tar",
        &raw_tar(vec![special("sda", tar::EntryType::Block, None)]),
        "",
        "device file",
    );
}

#[test]
fn fifo() {
    refused(
        "fifo.tar",
        &raw_tar(vec![special("pipe", tar::EntryType::Fifo, None)]),
        "",
        "FIFO",
    );
}

#[test]
fn gzip_bomb_by_ratio() {
    // 64 MiB of zeros compress to about 64 KiB: far beyond the ratio limit.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(&mut e);
    let mut h = tar::Header::new_gnu();
    let size = 64u64 << 20;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "zeros.bin", std::io::repeat(0).take_bytes(size))
        .unwrap();
    tar.finish().unwrap();
    drop(tar);
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    refused("bomb.tar.gz", &bomb, "", "decompression bomb");
}

trait TakeBytes {
    fn take_bytes(self, n: u64) -> std::io::Take<std::io::Repeat>;
}
impl TakeBytes for std::io::Repeat {
    fn take_bytes(self, n: u64) -> std::io::Take<std::io::Repeat> {
        std::io::Read::take(self, n)
    }
}

#[test]
fn bomb_by_entry_count() {
    let entries: Vec<Raw> = (0..101).map(|i| file(&format!("f{i}"), b"")).collect();
    refused(
        "many.tar.gz",
        &gzip(&raw_tar(entries)),
        "{max_entries: 100}",
        "more than 100 entries",
    );
}

#[test]
fn zip_bomb_by_ratio() {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("zeros.bin", opts).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..40 {
        w.write_all(&chunk).unwrap();
    }
    let bomb = w.finish().unwrap().into_inner();
    refused("bomb.zip", &bomb, "", "decompression bomb");
}

#[test]
fn file_larger_than_the_per_file_limit() {
    refused(
        "big.tar",
        &raw_tar(vec![file("big.bin", &[7u8; 2000])]),
        "{max_file_bytes: 1000}",
        "more than the 1000 allowed per file",
    );
}

#[test]
fn total_bytes_counted_while_writing() {
    refused(
        "total.tar",
        &raw_tar(vec![file("a.bin", &[1u8; 900]), file("b.bin", &[2u8; 900])]),
        "{max_total_bytes: 1500}",
        "more than 1500 bytes",
    );
}

#[test]
fn duplicate_names_in_tar() {
    refused(
        "dup.tar",
        &raw_tar(vec![file("optimus-x", b"one"), file("optimus-x", b"two")]),
        "",
        "duplicate entry",
    );
}

#[test]
fn duplicate_names_in_zip() {
    // Write two entries, then rename the second to the first in place.
    let z = zip_bytes(&[
        ("dup_a.txt".into(), b"one".to_vec(), 0o644),
        ("dup_b.txt".into(), b"two".to_vec(), 0o644),
    ]);
    let mut bytes = z.clone();
    let (from, to) = (b"dup_b.txt", b"dup_a.txt");
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    refused("dup.zip", &bytes, "", "duplicate");
}

#[test]
fn zip_slip_in_zip() {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("../../evil.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"x").unwrap();
    refused(
        "slip.zip",
        &w.finish().unwrap().into_inner(),
        "",
        "contains '..'",
    );
}

#[test]
fn absolute_path_in_zip() {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(
        "/tmp/optimus-evil-abs",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"x").unwrap();
    refused(
        "abs.zip",
        &w.finish().unwrap().into_inner(),
        "",
        "is absolute",
    );
}

#[test]
fn symlink_in_zip() {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_symlink("etc", "/etc", zip::write::SimpleFileOptions::default())
        .unwrap();
    refused(
        "link.zip",
        &w.finish().unwrap().into_inner(),
        "",
        "symbolic link",
    );
}

#[test]
fn very_long_name_component() {
    let long = "x".repeat(300);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    b.append_data(&mut h, &long, &b"x"[..]).unwrap();
    refused("long.tar", &b.into_inner().unwrap(), "", "too long");
}

#[test]
fn very_long_path() {
    let deep = vec!["d"; 100].join("/") + "/f";
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    b.append_data(&mut h, &deep, &b"x"[..]).unwrap();
    refused("deep.tar", &b.into_inner().unwrap(), "", "levels deep");
}

#[test]
fn file_and_folder_with_the_same_name() {
    refused(
        "clash.tar",
        &raw_tar(vec![file("a", b"file"), file("a/b", b"inside")]),
        "",
        "\"a\" comes from both",
    );
}

#[test]
fn corrupt_gzip() {
    let mut bad = targz(&plugin_entries("x", "1"));
    let n = bad.len();
    bad[20..n - 8].iter_mut().for_each(|b| *b ^= 0x5a);
    refused("corrupt.tar.gz", &bad, "", "cannot read archive");
}

#[test]
fn truncated_archive() {
    let good = targz(&plugin_entries("x", "1"));
    refused(
        "trunc.tar.gz",
        &good[..good.len() / 2],
        "",
        "cannot read archive",
    );
}

#[test]
fn setuid_and_setgid_bits_are_stripped_and_exec_bits_kept() {
    let p = Project::new();
    let t = raw_tar(vec![
        Raw {
            mode: 0o4755,
            ..file("optimus-suid_linux_amd64", b"#!/bin/sh\n")
        },
        Raw {
            mode: 0o2750,
            ..file("sgid", b"x")
        },
        Raw {
            mode: 0o1666,
            ..file("sticky", b"x")
        },
    ]);
    p.artifact("suid.tar", &t);
    p.local_config(&["suid.tar"]);
    p.install().success();
    let mode = |f: &str| p.mode(f);
    assert_eq!(mode("optimus-suid_linux_amd64"), 0o755);
    assert_eq!(mode("sgid"), 0o755);
    assert_eq!(mode("sticky"), 0o644);
}
