//! Key finders for commands whose keys move with a `numkeys` argument
//! (LMPOP, SINTERCARD, ZUNION, ZUNIONSTORE, ZMPOP, ...) or an option
//! (SORT ... STORE destination), used by COMMAND
//! GETKEYS and, later, cluster slot checks.
//!
//! Redis counterpart: the `*GetKeys` functions in `db.c`.

/// C's `atoi`: optional sign and leading digits, anything after ignored,
/// 0 when there are none.
fn atoi(s: &[u8]) -> i64 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// Keys counted by the argument at `count_at`, starting right after it;
/// with `dest` the first argument is a key too (…STORE destination).
fn numkeys(argv: &[&[u8]], count_at: usize, dest: bool) -> Option<Vec<usize>> {
    let first = count_at + 1;
    let n = atoi(argv.get(count_at)?);
    let room = argv.len().saturating_sub(first) as i64;
    if n < 1 || n > room {
        return None;
    }
    let mut keys = Vec::with_capacity(n as usize + dest as usize);
    if dest {
        keys.push(1);
    }
    keys.extend(first..first + n as usize);
    Some(keys)
}

/// `CMD numkeys key [key ...] ...` (LMPOP, SINTERCARD, ZUNION, ZINTER,
/// ZDIFF, ZINTERCARD, ZMPOP).
pub fn numkeys_first(argv: &[&[u8]]) -> Option<Vec<usize>> {
    numkeys(argv, 1, false)
}

/// `CMD timeout numkeys key [key ...] ...` (BLMPOP, BZMPOP).
pub fn numkeys_second(argv: &[&[u8]]) -> Option<Vec<usize>> {
    numkeys(argv, 2, false)
}

/// `CMD destination numkeys key [key ...] ...` (ZUNIONSTORE,
/// ZINTERSTORE, ZDIFFSTORE).
pub fn dest_numkeys(argv: &[&[u8]]) -> Option<Vec<usize>> {
    numkeys(argv, 2, true)
}

/// SORT: the sorted key at 1 plus the destination of the last
/// `STORE destination`. LIMIT skips two arguments and BY/GET one, as
/// Redis's `sortGetKeys` does, even past the end.
pub fn sort_keys(argv: &[&[u8]]) -> Option<Vec<usize>> {
    if argv.len() < 2 {
        return None;
    }
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    Some(match store {
        Some(d) => vec![1, d],
        None => vec![1],
    })
}

/// SORT_RO: only the sorted key at 1 (it has no STORE).
pub fn sort_ro_keys(argv: &[&[u8]]) -> Option<Vec<usize>> {
    (argv.len() >= 2).then(|| vec![1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&'static str]) -> Vec<&'static [u8]> {
        args.iter().map(|a| a.as_bytes()).collect()
    }

    #[test]
    fn finds_keys_like_redis() {
        assert_eq!(
            numkeys_first(&v(&["lmpop", "2", "a", "b", "LEFT"])),
            Some(vec![2, 3])
        );
        assert_eq!(numkeys_first(&v(&["lmpop", "5", "a", "b", "LEFT"])), None);
        assert_eq!(numkeys_first(&v(&["lmpop", "0", "a", "LEFT"])), None);
        assert_eq!(
            dest_numkeys(&v(&["zunionstore", "d", "2", "a", "b"])),
            Some(vec![1, 3, 4])
        );
        assert_eq!(dest_numkeys(&v(&["zunionstore", "d", "x", "a"])), None);
    }

    #[test]
    fn sort_keys_like_redis() {
        assert_eq!(sort_keys(&v(&["sort", "k"])), Some(vec![1]));
        assert_eq!(
            sort_keys(&v(&["sort", "k", "STORE", "d"])),
            Some(vec![1, 3])
        );
        assert_eq!(
            sort_keys(&v(&[
                "sort", "k", "store", "d1", "get", "store", "store", "d2"
            ])),
            Some(vec![1, 7])
        );
        assert_eq!(
            sort_keys(&v(&["sort", "k", "limit", "store", "1", "store", "d"])),
            Some(vec![1, 6])
        );
        assert_eq!(sort_keys(&v(&["sort", "k", "store"])), Some(vec![1]));
        assert_eq!(
            sort_keys(&v(&["sort", "k", "by", "store", "x"])),
            Some(vec![1])
        );
        assert_eq!(
            sort_ro_keys(&v(&["sort_ro", "k", "store", "d"])),
            Some(vec![1])
        );
        assert_eq!(sort_ro_keys(&v(&["sort_ro"])), None);
    }
}
