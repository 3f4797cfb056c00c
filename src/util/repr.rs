//! Quoting of binary strings the way Redis's `sdscatrepr` does (MONITOR,
//! CLIENT LIST, logs): printable bytes as-is, `\\` and `"` escaped, control
//! characters as `\n \r \t \a \b` and the rest as `\xHH`.

/// Appends the quoted form of `s` (without the surrounding quotes).
pub fn push_repr(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(format!("\\x{:02x}", c).as_bytes()),
        }
    }
}

/// The quoted form with surrounding double quotes.
pub fn repr(s: &[u8]) -> String {
    let mut v = vec![b'"'];
    push_repr(&mut v, s);
    v.push(b'"');
    String::from_utf8_lossy(&v).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_sdscatrepr() {
        assert_eq!(repr(b"a\"b\\\n\x01 "), "\"a\\\"b\\\\\\n\\x01 \"");
    }
}
