//! Value parsers with Redis's exact acceptance rules (`memtoull`, `strtoll`,
//! `string2ll`, `string2d`) and the per-directive validity checks, each
//! failing with Redis's error text.
//!
//! Redis counterpart: `memtoull` in `util.c`, the `isValid*` functions and
//! `sdstemplate` validation in `config.c` / `sds.c`.

use super::Config;

/// A validity check for a string directive.
pub type StrCheck = fn(&Config, &[u8]) -> Result<(), &'static str>;

/// Parses a memory size as Redis's `memtoull`: digits followed by an
/// optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any case). `k` is
/// 1000 and `kb` 1024. Overflowing digits saturate and the unit multiply
/// wraps, as in C. No sign, no spaces.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = &s[digits..];
    let mul: u64 = if unit.is_empty() || unit.eq_ignore_ascii_case(b"b") {
        1
    } else if unit.eq_ignore_ascii_case(b"k") {
        1000
    } else if unit.eq_ignore_ascii_case(b"kb") {
        1024
    } else if unit.eq_ignore_ascii_case(b"m") {
        1000 * 1000
    } else if unit.eq_ignore_ascii_case(b"mb") {
        1024 * 1024
    } else if unit.eq_ignore_ascii_case(b"g") {
        1000 * 1000 * 1000
    } else if unit.eq_ignore_ascii_case(b"gb") {
        1024 * 1024 * 1024
    } else {
        return None;
    };
    if digits >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[..digits] {
        v = v.saturating_mul(10).saturating_add((c - b'0') as u64);
        if v == u64::MAX {
            break;
        }
    }
    Some(v.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, base)` where the caller requires `*end == '\0'`:
/// leading white space, an optional sign, digits; saturates on overflow.
/// An empty string converts to 0 (no conversion, but `end` is at the NUL).
pub fn strtoll_full(s: &[u8], base: u32) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i128 = 0;
    while i < s.len() {
        let d = match (s[i] as char).to_digit(base) {
            Some(d) => d,
            None => break,
        };
        v = (v * base as i128 + d as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    if i == start || i != s.len() {
        // No digits: `end` stays at the start, which is not the NUL.
        return None;
    }
    let v = if neg { -v } else { v };
    Some(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// Parses a double as Redis's `string2d`: the whole input, no spaces, no
/// NaN.
pub fn string2d(s: &[u8]) -> Option<f64> {
    crate::util::numfmt::parse_f64(s)
}

/// Formats a double as C's `%f` with the trailing zeros (and a trailing
/// `.`) removed, as Redis's `trimDoubleString` does.
pub fn fmt_trimmed_f(v: f64) -> String {
    let mut s = format!("{:.6}", v);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// `activedefrag yes` needs an allocator with defragmentation hints;
/// ferredis uses the system allocator, like a Redis built without them.
pub fn active_defrag(v: bool) -> Result<(), &'static str> {
    if v {
        return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
    }
    Ok(())
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm`: save and nosave exclude
/// each other.
pub fn shutdown_flags(v: u32) -> Result<(), &'static str> {
    if v & 1 != 0 && v & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

fn is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

/// `dbfilename`: a plain file name.
pub fn dbfilename(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appendfilename`: a non-empty plain file name.
pub fn appendfilename(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appenddirname`: a non-empty plain directory name.
pub fn appenddirname(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// `cluster-announce-hostname`: letters, digits, `-` and `.`, shorter than
/// 256 bytes.
pub fn hostname(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// Expands a `proc-title-template` (`{var}` placeholders, `{{` for a
/// literal brace). None when the template is malformed or names an unknown
/// variable.
pub fn expand_proc_title(cfg: &Config, template: &[u8], title: &str) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while i < template.len() {
        let c = template[i];
        if c != b'{' {
            out.push(c as char);
            i += 1;
            continue;
        }
        i += 1;
        match template.get(i) {
            None => return None,
            Some(b'{') => {
                out.push('{');
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        let end = template[i..].iter().position(|&b| b == b'}')? + i;
        let var = &template[i..end];
        let value = match var {
            b"title" => title.to_string(),
            b"listen-addr" => {
                if cfg.port != 0 {
                    let first = cfg.bind.first().map(String::as_str).unwrap_or("*");
                    format!("{}:{}", first, cfg.port)
                } else {
                    format!("unixsocket:{}", cfg.unixsocket)
                }
            }
            b"server-mode" => {
                if cfg.get_bool("cluster-enabled") {
                    "[cluster]".to_string()
                } else {
                    String::new()
                }
            }
            b"config-file" => cfg.config_file.clone().unwrap_or_else(|| "-".into()),
            b"port" => cfg.port.to_string(),
            b"tls-port" => cfg.get_i64("tls-port").to_string(),
            b"unixsocket" => cfg.unixsocket.clone(),
            _ => return None,
        };
        out.push_str(&value);
        i = end + 1;
    }
    Some(out.trim_matches(' ').to_string())
}

/// `proc-title-template`: well formed, known variables, and not empty
/// once expanded.
pub fn proc_title_template(cfg: &Config, v: &[u8]) -> Result<(), &'static str> {
    match expand_proc_title(cfg, v, "") {
        Some(s) if !s.is_empty() => Ok(()),
        _ => Err("template format is invalid or contains unknown variables"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memtoull_matches_redis() {
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"mb"), Some(0));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1K"), Some(1000));
        assert_eq!(memtoull(b"1kb"), Some(1024));
        assert_eq!(memtoull(b"2m"), Some(2_000_000));
        assert_eq!(memtoull(b"2MB"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull(b"3g"), Some(3_000_000_000));
        assert_eq!(memtoull(b"3gb"), Some(3 * 1024 * 1024 * 1024));
        assert_eq!(memtoull(b"5B"), Some(5));
        assert_eq!(memtoull(b"007"), Some(7));
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull(b"99999999999gb"), Some(15140462030378500096));
        for bad in [
            &b"+5"[..],
            b" 5",
            b"0x10",
            b"1.5mb",
            b"-1",
            b"10xb",
            b"1 mb",
        ] {
            assert_eq!(memtoull(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn strtoll_full_matches_c() {
        assert_eq!(strtoll_full(b"", 10), Some(0));
        assert_eq!(strtoll_full(b" 5", 10), Some(5));
        assert_eq!(strtoll_full(b"+5", 10), Some(5));
        assert_eq!(strtoll_full(b"-5", 10), Some(-5));
        assert_eq!(strtoll_full(b"5 ", 10), None);
        assert_eq!(strtoll_full(b"  ", 10), None);
        assert_eq!(strtoll_full(b"a", 10), None);
        assert_eq!(strtoll_full(b"777", 8), Some(511));
        assert_eq!(strtoll_full(b"8", 8), None);
        assert_eq!(strtoll_full(b"99999999999999999999", 10), Some(i64::MAX));
    }

    #[test]
    fn trimmed_doubles() {
        assert_eq!(fmt_trimmed_f(50.0), "50");
        assert_eq!(fmt_trimmed_f(99.9), "99.9");
        assert_eq!(fmt_trimmed_f(0.5), "0.5");
        assert_eq!(fmt_trimmed_f(99.999), "99.999");
        assert_eq!(fmt_trimmed_f(0.0), "0");
    }

    #[test]
    fn proc_title_templates() {
        let cfg = Config::default();
        assert!(proc_title_template(&cfg, b"{title} {listen-addr} {server-mode}").is_ok());
        assert!(proc_title_template(&cfg, b"}").is_ok());
        assert!(proc_title_template(&cfg, b"{{x").is_ok());
        assert!(proc_title_template(&cfg, b"").is_err());
        assert!(proc_title_template(&cfg, b"{title").is_err());
        assert!(proc_title_template(&cfg, b"{foo}").is_err());
        assert!(proc_title_template(&cfg, b"{title}").is_err());
    }
}
