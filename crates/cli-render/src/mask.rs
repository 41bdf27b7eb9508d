//! Secret values out of the config lines a diagnostic shows: a block quotes
//! the line at fault, and that line (or a neighbour) may hold a token, a
//! SAS, a key or a URL with credentials. Masking is done on the text, so
//! it holds for lines the config loader never understood.

/// Key names whose values are secrets (compared in lowercase, as parts of
/// the name): `bearer`, `password`, `sas_token`, `access_key`, ...
/// Parts of words, so a misspelt key (`bearr`, `sas_tokn`) is masked too.
const SECRET_WORDS: &[&str] = &[
    "tok",
    "secret",
    "pass",
    "pw",
    "key",
    "sas",
    "bear",
    "cred",
    "service_account",
    "auth",
    "sig",
    "user",
    "value",
    "cookie",
];

/// Keys every value below which is a secret: `auth` (bearer, basic,
/// headers, and any misspelling of them), `headers`.
const SECRET_BLOCKS: &[&str] = &["auth", "headers"];

fn is_secret_key(key: &str) -> bool {
    let key = key.trim_matches(['"', '\'']).to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

/// `text` with the value of every secret-bearing key replaced by `***`,
/// also inside flow mappings and block scalars, every value under
/// `headers:`, and the user info and query of every URL.
///
/// # Examples
///
/// ```
/// use cli_render::mask::mask_secrets;
/// assert_eq!(mask_secrets("        bearer: abc123\n"), "        bearer: ***\n");
/// assert_eq!(mask_secrets("auth: {bearer: abc, headers: {}}"), "auth: {bearer: ***, headers: {}}");
/// assert_eq!(mask_secrets("bearer: {env: TOKEN}"), "bearer: {env: TOKEN}");
/// assert_eq!(mask_secrets("url: https://u:pw@h/p?sig=s3cr3t"), "url: https://***@h/p?***");
/// assert_eq!(mask_secrets("headers:\n  X-Team: blue\nname: a\n"), "headers:\n  X-Team: ***\nname: a\n");
/// // Under `auth`, even a misspelt key's value.
/// assert_eq!(mask_secrets("auth:\n  bearr: t0k\n"), "auth:\n  bearr: ***\n");
/// assert_eq!(mask_secrets("auth: {bearr: t0k}, name: a"), "auth: {bearr: ***}, name: a");
/// ```
pub fn mask_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Lines deeper than this indentation are all secret (a block scalar of
    // a secret key, the entries under `headers:`).
    let mut hidden_below: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let indent = body.len() - body.trim_start().len();
        if let Some(limit) = hidden_below {
            if body.trim().is_empty() || indent > limit {
                if body.trim().is_empty() || body.trim_start().starts_with('#') {
                    out.push_str(body);
                } else {
                    out.push_str(&mask_block_line(body, indent));
                }
                out.push_str(end);
                continue;
            }
            hidden_below = None;
        }
        let (masked, opens_block) = mask_line(body);
        if opens_block {
            hidden_below = Some(indent_of_key(body));
        }
        out.push_str(&masked);
        out.push_str(end);
    }
    out
}

/// The column of a line's key (after `- ` markers).
fn indent_of_key(line: &str) -> usize {
    let mut col = line.len() - line.trim_start().len();
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix("- ") {
        col += 2 + (r.len() - r.trim_start().len());
        rest = r.trim_start();
    }
    col
}

/// A line inside a hidden block: `key: ***` when it is a mapping entry
/// (a header), else `***` at its indentation (a block scalar's text).
fn mask_block_line(line: &str, indent: usize) -> String {
    let rest = &line[indent..];
    if rest.ends_with(':') && !rest.contains(' ') {
        return line.to_owned();
    }
    match rest.find(": ") {
        Some(i) if !rest[..i].contains(' ') => format!("{}{}: ***", &line[..indent], &rest[..i]),
        _ => format!("{}***", &line[..indent]),
    }
}

/// One line with secret values masked, and whether it opens a block whose
/// deeper lines are secret (a secret key with a block scalar or nothing on
/// its line, or `headers:`).
fn mask_line(line: &str) -> (String, bool) {
    let line = mask_urls(line);
    let bytes: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut opens = false;
    let mut depth = 0usize;
    let mut i = 0;
    let mut quote: Option<char> = None;
    // Inside `auth: {...}` (flow): every value below this depth is secret.
    let mut all_below: Option<usize> = None;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '#' if i == 0 || bytes[i - 1] == ' ' => {
                out.extend(&bytes[i..]);
                break;
            }
            '"' | '\'' if out.ends_with([' ', '{', '[', ',']) || out.is_empty() => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if all_below.is_some_and(|d| depth <= d) {
                    all_below = None;
                }
            }
            ':' if i + 1 == bytes.len() || bytes[i + 1] == ' ' => {
                let key: String = key_before(&out);
                out.push(':');
                i += 1;
                let secret = is_secret_key(&key) || all_below.is_some_and(|d| depth > d);
                let block = SECRET_BLOCKS.iter().any(|b| key.eq_ignore_ascii_case(b));
                // The value: up to `,`/`}` in a flow mapping, else the line
                // (a comment kept).
                let mut j = i;
                while j < bytes.len() && bytes[j] == ' ' {
                    j += 1;
                }
                let rest: String = bytes[j..].iter().collect();
                let rest_trim = rest.trim();
                if secret || block {
                    if rest_trim.is_empty() || rest_trim.starts_with('#') {
                        opens = true;
                        continue;
                    }
                    if rest_trim.starts_with('|') || rest_trim.starts_with('>') {
                        out.extend(&bytes[i..j]);
                        out.push_str("***");
                        opens = true;
                        break;
                    }
                    if rest_trim.starts_with('{') || rest_trim.starts_with('[') {
                        // {env: X} / {file: p} / {value: s}: keys decide;
                        // inside `auth: {...}` every value is hidden.
                        if block && all_below.is_none() {
                            all_below = Some(depth);
                        }
                        continue;
                    }
                    let end = value_end(&bytes, j, depth);
                    out.extend(&bytes[i..j]);
                    out.push_str("***");
                    i = end;
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    (out, opens)
}

/// Where a plain or quoted value starting at `j` ends.
fn value_end(chars: &[char], j: usize, depth: usize) -> usize {
    let mut k = j;
    let mut quote = None;
    if let Some(&q) = chars.get(j).filter(|c| **c == '"' || **c == '\'') {
        quote = Some(q);
        k += 1;
    }
    while k < chars.len() {
        let c = chars[k];
        match quote {
            Some(q) if c == q => return k + 1,
            None if depth > 0 && (c == ',' || c == '}' || c == ']') => return k,
            None if c == '#' && k > 0 && chars[k - 1] == ' ' => return k - 1,
            _ => {}
        }
        k += 1;
    }
    k
}

/// The key just written to `out` (before its `:`).
fn key_before(out: &str) -> String {
    let start = out.rfind([' ', '{', ',', '[', '-']).map_or(0, |i| i + 1);
    out[start..].trim_matches(['"', '\'']).to_owned()
}

/// User info and query of every `scheme://` URL in `line` replaced by `***`.
fn mask_urls(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || c == ',' || c == '}' || c == ']' || c == '"' || c == '\''
            })
            .unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let (authority, path) = url.split_at(authority_end);
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        match path.find('?') {
            Some(q) => {
                out.push_str(&path[..=q]);
                out.push_str("***");
            }
            None => out.push_str(path),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::mask_secrets;

    #[test]
    fn every_secret_form_is_masked() {
        let cfg = "\
plugins:
  providers:
    - type: http
      name: web
      url: https://ci:hunter2@h/p/?sig=sas-sig
      auth:
        bearer: tok-1
        basic: {username: u-2, password: 'pw 3'}
        headers:
          X-Api-Key: hdr-4
          X-Other: \"hdr 5\"
    - type: gcs
      name: g
      bucket: b
      service_account: |
        {\"private_key\": \"sa-6\"}
    - type: azure
      name: a
      container: c
      sas_token: \"?sv=1&sig=sas-7\"   # from the portal
      access_key:
        value: key-8
plugin:
  artifacts:
    - http://svc:pass-9@h/x.yaml?checksum=sha256:00
";
        let shown = mask_secrets(cfg);
        for s in [
            "hunter2", "sas-sig", "tok-1", "u-2", "pw 3", "hdr-4", "hdr 5", "sa-6", "sas-7",
            "key-8", "pass-9",
        ] {
            assert!(!shown.contains(s), "{s} shown in:\n{shown}");
        }
        // What is not secret stays, line for line.
        assert_eq!(shown.lines().count(), cfg.lines().count());
        for keep in [
            "name: web",
            "bucket: b",
            "X-Api-Key: ***",
            "# from the portal",
            "container: c",
        ] {
            assert!(shown.contains(keep), "{keep} missing in:\n{shown}");
        }
        assert!(
            shown.contains("        basic: ***\n        headers:\n"),
            "{shown}"
        );
        assert_eq!(
            mask_secrets("basic: {username: u-2, password: 'pw 3'}"),
            "basic: {username: ***, password: ***}"
        );
    }
}
