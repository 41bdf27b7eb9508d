//! Durations and sizes as an operator writes them in a flag or env var.

use std::time::Duration;

/// Parses `90`, `90s`, `1500ms`, `2m` or `0.5s` (between 1 ms and 24 h).
/// The error is a sentence for the flag's message.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use task_boot::parse_duration;
/// assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
/// assert_eq!(parse_duration("1500ms").unwrap(), Duration::from_millis(1500));
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (num, unit) = split_unit(raw);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 90s, 2m or 1500ms"))?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        _ => return Err(format!("{raw:?}: unknown unit {unit:?} (use ms, s or m)")),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("{raw:?} must be between 1ms and 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `1048576`, `512KiB`, `5MiB` or `1GiB` (`K`, `M`, `G` mean the
/// same) into bytes.
///
/// # Examples
///
/// ```
/// use task_boot::parse_size;
/// assert_eq!(parse_size("5MiB").unwrap(), 5 << 20);
/// assert_eq!(parse_size("10").unwrap(), 10);
/// assert!(parse_size("5TB").is_err());
/// ```
pub fn parse_size(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let (num, unit) = split_unit(raw);
    let value: u64 = num
        .parse()
        .map_err(|_| format!("{raw:?} is not a size such as 5MiB or 1048576"))?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "{raw:?}: unknown unit {unit:?} (use KiB, MiB or GiB)"
            ));
        }
    };
    value
        .checked_mul(mult)
        .ok_or_else(|| format!("{raw:?} is too large"))
}

fn split_unit(raw: &str) -> (&str, &str) {
    let at = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    (&raw[..at], raw[at..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_mins(2));
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5MiB").unwrap(), 5 << 20);
        assert_eq!(parse_size("10").unwrap(), 10);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert!(parse_size("5TB").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
