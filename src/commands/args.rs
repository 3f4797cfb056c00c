//! Typed argument parsing that fails with Redis's exact error texts.
//!
//! Redis counterpart: `getLongLongFromObjectOrReply` and friends in
//! `object.c`.

use crate::errors::{self, CmdError};
use crate::util::numfmt::{parse_f64, parse_i64};

/// Parses an i64 or fails with `ERR value is not an integer or out of range`.
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// Parses an i64 with a custom error text on failure.
pub fn int_or(arg: &[u8], err: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::msg(err))
}

/// Parses a non-negative i64 (`ERR value is out of range, must be positive`).
pub fn non_negative(arg: &[u8]) -> Result<i64, CmdError> {
    let v = int(arg)?;
    if v < 0 {
        return Err(CmdError::msg(errors::POSITIVE));
    }
    Ok(v)
}

/// Parses a double or fails with `ERR value is not a valid float`.
pub fn float(arg: &[u8]) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or(CmdError::NotFloat)
}

/// Case-insensitive comparison of an argument with a keyword.
#[inline]
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// Parses `yes`/`no` (case-insensitive); anything else is a syntax error.
pub fn yes_no(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "yes") {
        Ok(true)
    } else if is(arg, "no") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Parses a blocking command's timeout in seconds (fractions allowed) and
/// returns the unix ms deadline, 0 meaning "forever", with Redis's errors.
pub fn block_timeout(arg: &[u8], now_ms: i64) -> Result<i64, CmdError> {
    let secs = parse_f64(arg).ok_or(CmdError::msg("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    if ms > i64::MAX as f64 {
        return Err(CmdError::msg("ERR timeout is out of range"));
    }
    if ms < 0.0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(0);
    }
    ms.checked_add(now_ms)
        .ok_or(CmdError::msg("ERR timeout is out of range"))
}

/// An argument as C string functions see it: up to its first NUL. Redis
/// compares option keywords with `strcasecmp`, so `"nx\0junk"` reads as NX.
pub fn cstr(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    }
}

/// Case-insensitive keyword comparison with C string semantics.
pub fn kw(arg: &[u8], word: &str) -> bool {
    cstr(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// Parses a SCAN cursor the way Redis does with `strtoul`: an optional
/// sign (a negative cursor wraps around), no leading space, nothing after
/// the digits (bytes from a NUL on are not seen), "" is 0.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::msg("ERR invalid cursor");
    let s = cstr(arg);
    let Some(&first) = s.first() else {
        return Ok(0);
    };
    if matches!(first, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return Err(invalid());
    }
    let (negative, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if negative { v.wrapping_neg() } else { v })
}

/// The `[MATCH pattern] [COUNT count]` options of SSCAN, HSCAN and ZSCAN
/// from `argv[from..]`: (count, pattern), with `*` meaning no pattern.
pub fn scan_options<'a>(
    argv: &[&'a [u8]],
    from: usize,
) -> Result<(i64, Option<&'a [u8]>), CmdError> {
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = from;
    while i < argv.len() {
        let has_value = argv.len() - i >= 2;
        if kw(argv[i], "count") && has_value {
            count = int(argv[i + 1])?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if kw(argv[i], "match") && has_value {
            pattern = (argv[i + 1] != b"*").then_some(argv[i + 1]);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok((count, pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_redis_texts() {
        assert_eq!(int(b"x").unwrap_err(), CmdError::NotInteger);
        assert_eq!(float(b"x").unwrap_err(), CmdError::NotFloat);
        assert_eq!(non_negative(b"-1").unwrap_err().text(), errors::POSITIVE);
        assert!(is(b"EX", "ex"));
        assert!(yes_no(b"YES").unwrap());
        assert_eq!(block_timeout(b"0", 1000).unwrap(), 0);
        assert_eq!(block_timeout(b"0.0015", 1000).unwrap(), 1002);
        assert_eq!(block_timeout(b"2", 1000).unwrap(), 3000);
        assert_eq!(
            block_timeout(b"-1", 0).unwrap_err().text(),
            "ERR timeout is negative"
        );
        assert_eq!(
            block_timeout(b"abc", 0).unwrap_err().text(),
            "ERR timeout is not a float or out of range"
        );
        assert_eq!(
            block_timeout(b"1e300", 0).unwrap_err().text(),
            "ERR timeout is out of range"
        );
    }
}
