//! SORT and SORT_RO: sorting the elements of a list, set or sorted set,
//! numerically or by bytes, by their own value or by external keys (`BY
//! pattern`), fetching external keys for each (`GET pattern`), with LIMIT,
//! DESC and STORE.
//!
//! Redis counterpart: `sort.c`.
//!
//! Ordering notes (matching Redis 7.0 on glibc): Redis sorts with the C
//! library's `qsort`, which glibc implements as a stable merge sort, so a
//! stable sort here gives the same order for ties; BY with a LIMIT window
//! uses Redis's partial quicksort, reproduced as such. Numeric ties fall back
//! to comparing the elements' bytes. ALPHA without STORE compares as
//! `strcoll` in the C locale, i.e. as C strings (stopping at a NUL byte);
//! with STORE it compares binary-safe.

use std::cmp::Ordering;

use super::spec::{acl, cmd, keys, CommandSpec, Group};
use super::{args, Ctx};
use crate::commands::flags::*;
use crate::config::notify;
use crate::db::Discard;
use crate::errors::{CmdError, CmdResult};
use crate::server::Server;
use crate::types::list::{Elem, End, List};
use crate::types::Value;
use crate::util::numfmt::parse_f64;

/// Extra ACL categories of both commands (the group, generic, would add
/// @keyspace, which Redis does not list for them).
const SORT_ACL: u64 = acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS;

/// The SORT family's rows of the command table, sorted by name.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    cmd("sort", -2, WRITE | DENYOOM, keys(1, 1, 1), Group::Generic, sort_command)
        .acl(SORT_ACL)
        .without_group_acl()
        .movable(super::getkeys::sort_keys)
        .doc("Sort the elements in a list, set or sorted set", "1.0.0"),
    cmd("sort_ro", -2, READONLY, keys(1, 1, 1), Group::Generic, sort_ro_command)
        .acl(SORT_ACL)
        .without_group_acl()
        .movable(super::getkeys::sort_ro_keys)
        .doc("Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "7.0.0"),
];

/// The parsed options of one SORT call (patterns borrow the arguments).
struct Options<'a> {
    desc: bool,
    alpha: bool,
    /// LIMIT offset (0 when absent).
    offset: i64,
    /// LIMIT count (-1, everything, when absent).
    count: i64,
    /// The last BY pattern.
    by: Option<&'a [u8]>,
    /// Set once any BY pattern has no `*`: the elements keep their order.
    dont_sort: bool,
    /// The last STORE destination.
    store: Option<&'a [u8]>,
    /// GET patterns, in order.
    gets: Vec<&'a [u8]>,
}

/// The bytes before the first NUL: what C string functions see.
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Parses the options from argument 2 on, in Redis's order: a keyword
/// missing its arguments, or an unknown one, is a syntax error; LIMIT's
/// numbers must be integers.
fn parse_options<'a>(argv: &[&'a [u8]], readonly: bool) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        desc: false,
        alpha: false,
        offset: 0,
        count: -1,
        by: None,
        dont_sort: false,
        store: None,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let a = argv[j];
        let left = argv.len() - j - 1;
        if args::is(a, "asc") {
            o.desc = false;
        } else if args::is(a, "desc") {
            o.desc = true;
        } else if args::is(a, "alpha") {
            o.alpha = true;
        } else if args::is(a, "limit") && left >= 2 {
            o.offset = args::int(argv[j + 1])?;
            o.count = args::int(argv[j + 2])?;
            j += 2;
        } else if !readonly && args::is(a, "store") && left >= 1 {
            o.store = Some(argv[j + 1]);
            j += 1;
        } else if args::is(a, "by") && left >= 1 {
            let p = argv[j + 1];
            if !c_str(p).contains(&b'*') {
                o.dont_sort = true;
            }
            o.by = Some(p);
            j += 1;
        } else if args::is(a, "get") && left >= 1 {
            o.gets.push(argv[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The elements to sort, packed in one buffer, each with its sort key.
struct Vector {
    /// Every element's bytes, back to back.
    bytes: Vec<u8>,
    items: Vec<Item>,
    /// The BY values (ALPHA with a BY pattern), back to back.
    cmp_bytes: Vec<u8>,
}

/// One element: its bytes in `Vector::bytes`, its numeric score and its
/// BY value in `Vector::cmp_bytes` (None when the BY key is missing).
#[derive(Clone, Copy)]
struct Item {
    start: usize,
    len: usize,
    score: f64,
    cmp: Option<(usize, usize)>,
}

impl Vector {
    fn with_capacity(n: usize) -> Self {
        Vector {
            bytes: Vec::new(),
            items: Vec::with_capacity(n),
            cmp_bytes: Vec::new(),
        }
    }

    fn push(&mut self, b: &[u8]) {
        self.items.push(Item {
            start: self.bytes.len(),
            len: b.len(),
            score: 0.0,
            cmp: None,
        });
        self.bytes.extend_from_slice(b);
    }

    fn elem(&self, it: &Item) -> &[u8] {
        &self.bytes[it.start..it.start + it.len]
    }

    fn cmp_of(&self, it: &Item) -> Option<&[u8]> {
        it.cmp.map(|(s, l)| &self.cmp_bytes[s..s + l])
    }
}

/// Parses a score as C's `strtod` over a NUL-terminated string, refusing
/// what Redis refuses: trailing bytes, NaN, and out-of-range values
/// (overflow to infinity and underflow to zero or a subnormal).
fn parse_score(b: &[u8]) -> Option<f64> {
    let s = c_str(b);
    let lead = s
        .iter()
        .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let s = &s[lead..];
    if s.is_empty() {
        // strtod of "" (or only spaces) converts nothing and stops at the
        // terminator: 0, accepted.
        return Some(0.0);
    }
    let v = parse_f64(s)?;
    let unsigned = match s[0] {
        b'+' | b'-' => &s[1..],
        _ => s,
    };
    if v.is_infinite() && !matches!(unsigned.first(), Some(b'i' | b'I')) {
        return None;
    }
    if v == 0.0 || v.is_subnormal() {
        let hex = unsigned.len() > 1 && unsigned[0] == b'0' && matches!(unsigned[1], b'x' | b'X');
        let mantissa: &[u8] = if hex {
            let m = &unsigned[2..];
            &m[..m
                .iter()
                .position(|&c| matches!(c, b'p' | b'P'))
                .unwrap_or(m.len())]
        } else {
            &unsigned[..unsigned
                .iter()
                .position(|&c| matches!(c, b'e' | b'E'))
                .unwrap_or(unsigned.len())]
        };
        let nonzero = mantissa.iter().any(|&c| c.is_ascii_hexdigit() && c != b'0');
        if v.is_subnormal() || nonzero {
            return None;
        }
    }
    Some(v)
}

/// Resolves a GET/BY pattern for one element into `out`: `#` is the
/// element itself; otherwise the first `*` is replaced by the element and
/// the key must hold a string, or, with `->field` after the `*`, a hash
/// with that field. False when there is no such value (or no `*`).
fn lookup_pattern(
    srv: &mut Server,
    db: usize,
    pattern: &[u8],
    elem: &[u8],
    key: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> bool {
    out.clear();
    let cpat = c_str(pattern);
    if cpat == b"#" {
        out.extend_from_slice(elem);
        return true;
    }
    let Some(star) = cpat.iter().position(|&c| c == b'*') else {
        return false;
    };
    // A `->` after the `*` with a non-empty field name after it.
    let arrow = cpat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&i| i + 2 < cpat.len());
    let (key_tail, field) = match arrow {
        Some(i) => (&pattern[star + 1..i], Some(&pattern[i + 2..])),
        None => (&pattern[star + 1..], None),
    };
    key.clear();
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(key_tail);
    match (srv.lookup_read(db, key), field) {
        (Some(Value::Hash(h)), Some(f)) => match h.get(f) {
            Some(v) => {
                out.extend_from_slice(v);
                true
            }
            None => false,
        },
        (Some(v), None) if v.is_string() => {
            v.write_string(out);
            true
        }
        _ => false,
    }
}

/// The median of three elements, picked as the Bentley-McIlroy quicksort
/// picks it.
fn med3<F: FnMut(&Item, &Item) -> Ordering>(
    v: &[Item],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut F,
) -> usize {
    if cmp(&v[a], &v[b]).is_lt() {
        if cmp(&v[b], &v[c]).is_lt() {
            b
        } else if cmp(&v[a], &v[c]).is_lt() {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]).is_gt() {
        b
    } else if cmp(&v[a], &v[c]).is_lt() {
        a
    } else {
        c
    }
}

/// Insertion sort of `v[a..a + n]` by adjacent swaps.
fn insertion_sort<F: FnMut(&Item, &Item) -> Ordering>(
    v: &mut [Item],
    a: usize,
    n: usize,
    cmp: &mut F,
) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]).is_gt() {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

/// The Bentley-McIlroy three-way quicksort ("Engineering a Sort
/// Function", as in BSD's `qsort`), sorting `v[a..a + n]` but only
/// descending into parts that overlap the window `lo..=hi`: what Redis
/// uses for SORT BY with a LIMIT. Equal elements end up exactly where that
/// algorithm puts them, which matters for ALPHA BY ties. The smaller part
/// is recursed into and the larger iterated on, so the stack stays
/// logarithmic (the order of the two parts does not change the result).
fn partial_qsort<F: FnMut(&Item, &Item) -> Ordering>(
    v: &mut [Item],
    mut a: usize,
    mut n: usize,
    cmp: &mut F,
    lo: i64,
    hi: i64,
) {
    let overlaps = |first: usize, count: usize| {
        let (first, last) = (first as i64, (first + count) as i64 - 1);
        !(hi < first || lo > last)
    };
    loop {
        if n < 7 {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let mut swapped = false;
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c.is_gt() {
                    break;
                }
                if c.is_eq() {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c.is_lt() {
                    break;
                }
                if c.is_eq() {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        for i in 0..r {
            v.swap(a + i, pb - r + i);
        }
        let r = (pd - pc).min(pn - pd - 1);
        for i in 0..r {
            v.swap(pb + i, pn - r + i);
        }
        // The "less" part is v[a..a + left], the "greater" part the last
        // `right` elements.
        let left = pb - pa;
        let right = pd - pc;
        let left_part = (left > 1 && overlaps(a, left)).then_some((a, left));
        let right_part = (right > 1 && overlaps(pn - right, right)).then_some((pn - right, right));
        match (left_part, right_part) {
            (Some(l), Some(r)) => {
                let (small, big) = if l.1 <= r.1 { (l, r) } else { (r, l) };
                partial_qsort(v, small.0, small.1, cmp, lo, hi);
                (a, n) = big;
            }
            (Some(p), None) | (None, Some(p)) => (a, n) = p,
            (None, None) => return,
        }
    }
}

/// `strcoll` in the C locale: byte order of the C strings.
fn coll(a: &[u8], b: &[u8]) -> Ordering {
    c_str(a).cmp(c_str(b))
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]
pub fn sort_command(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
pub fn sort_ro_command(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, true)
}

/// Where the elements come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    List,
    Set,
    ZSet,
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let argv = ctx.argv;
    let mut o = parse_options(argv, readonly)?;
    let db = ctx.client.db;
    let key = argv[1];

    let (source, len) = match ctx.srv.lookup_read(db, key) {
        None => (Source::List, 0),
        Some(Value::List(l)) => (Source::List, l.len()),
        Some(Value::Set(s)) => (Source::Set, s.len()),
        Some(Value::ZSet(z)) => (Source::ZSet, z.len()),
        Some(_) => return Err(CmdError::WrongType),
    };
    // A set left unsorted (BY without `*`) is sorted anyway when stored,
    // so the stored result does not depend on the set's internal order.
    if o.dont_sort && source == Source::Set && o.store.is_some() {
        o.dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    // Redis converts a listpack sorted set for SORT, for good.
    if source == Source::ZSet {
        let now = ctx.now_ms();
        if let Some(Value::ZSet(z)) = ctx.db().get_mut(key, now) {
            z.convert_to_skiplist();
        }
    }

    // The LIMIT window, clamped as Redis does.
    let n = len as i64;
    let mut start = o.offset.max(0);
    let mut end = if o.count < 0 {
        n - 1
    } else {
        start.saturating_add(o.count).saturating_sub(1)
    };
    if start >= n {
        start = n - 1;
        end = n - 2;
    }
    if end >= n {
        end = n - 1;
    }

    // Load the elements. Unsorted lists and sorted sets load only the
    // window, in their own order (reversed for DESC).
    let ranged = o.dont_sort && source != Source::Set;
    let want = if ranged {
        (end - start + 1).max(0) as usize
    } else {
        len
    };
    let mut v = Vector::with_capacity(want);
    let now = ctx.now_ms();
    match ctx.db().get(key, now) {
        Some(Value::List(l)) => {
            let mut skip = if ranged && o.desc { start as usize } else { 0 };
            let mut left = want;
            let mut load = |e: Elem<'_>| {
                if skip > 0 {
                    skip -= 1;
                    return true;
                }
                e.with_bytes(|b| v.push(b));
                left -= 1;
                left > 0
            };
            if want > 0 {
                if !ranged {
                    l.for_each_from(0, &mut load);
                } else if o.desc {
                    l.for_each_rev(&mut load);
                } else {
                    l.for_each_from(start as usize, &mut load);
                }
            }
        }
        Some(Value::Set(s)) => s.iter().for_each(|m| m.with_bytes(|b| v.push(b))),
        Some(Value::ZSet(z)) => {
            if ranged {
                if want > 0 {
                    z.walk(start as usize, o.desc, |m, _| {
                        v.push(m);
                        v.items.len() < want
                    });
                }
            } else {
                z.for_each(|m, _| v.push(m));
            }
        }
        _ => {}
    }
    if ranged {
        // The window is now the whole vector.
        end -= start;
        start = 0;
    }

    let mut conversion_error = false;
    let mut kbuf = Vec::new();
    let mut vbuf = Vec::new();
    if !o.dont_sort {
        for i in 0..v.items.len() {
            let it = v.items[i];
            let found = match o.by {
                Some(p) => {
                    let elem = &v.bytes[it.start..it.start + it.len];
                    lookup_pattern(ctx.srv, db, p, elem, &mut kbuf, &mut vbuf)
                }
                None => {
                    vbuf.clear();
                    vbuf.extend_from_slice(v.elem(&it));
                    true
                }
            };
            if !found {
                continue;
            }
            if o.alpha {
                if o.by.is_some() {
                    v.items[i].cmp = Some((v.cmp_bytes.len(), vbuf.len()));
                    v.cmp_bytes.extend_from_slice(&vbuf);
                }
            } else {
                match parse_score(&vbuf) {
                    Some(s) => v.items[i].score = s,
                    None => conversion_error = true,
                }
            }
        }
        let (desc, alpha, by, store) = (o.desc, o.alpha, o.by.is_some(), o.store.is_some());
        let mut items = std::mem::take(&mut v.items);
        let mut compare = |a: &Item, b: &Item| {
            let c = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| v.elem(a).cmp(v.elem(b)))
            } else if by {
                match (v.cmp_of(a), v.cmp_of(b)) {
                    (Some(x), Some(y)) if store => x.cmp(y),
                    (Some(x), Some(y)) => coll(x, y),
                    (x, y) => x.is_some().cmp(&y.is_some()),
                }
            } else if store {
                v.elem(a).cmp(v.elem(b))
            } else {
                coll(v.elem(a), v.elem(b))
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        if by && (start != 0 || end != items.len() as i64 - 1) {
            // Redis sorts only the LIMIT window with its partial quicksort
            // here; ties (ALPHA BY) come out as that algorithm leaves them.
            let n = items.len();
            partial_qsort(&mut items, 0, n, &mut compare, start, end);
        } else {
            items.sort_by(compare);
        }
        v.items = items;
    }
    if conversion_error {
        return Err(CmdError::msg(
            "ERR One or more scores can't be converted into double",
        ));
    }

    let window: &[Item] = if end >= start {
        v.items
            .get(start as usize..=end as usize)
            .unwrap_or_default()
    } else {
        &[]
    };
    let per = o.gets.len().max(1);
    let out_len = window.len() * per;
    match o.store {
        None => {
            ctx.client.reply.array_len(out_len);
            for it in window {
                let elem = v.elem(it);
                if o.gets.is_empty() {
                    ctx.client.reply.bulk(elem);
                }
                for p in &o.gets {
                    if lookup_pattern(ctx.srv, db, p, elem, &mut kbuf, &mut vbuf) {
                        ctx.client.reply.bulk(&vbuf);
                    } else {
                        ctx.client.reply.null();
                    }
                }
            }
        }
        Some(dst) => {
            let fill = crate::commands::list::shape(ctx.srv);
            let mut list = List::new();
            for it in window {
                let elem = v.elem(it);
                if o.gets.is_empty() {
                    list.push(End::Tail, Elem::from_bytes(elem), fill);
                }
                for p in &o.gets {
                    // A missing value is stored as an empty string.
                    lookup_pattern(ctx.srv, db, p, elem, &mut kbuf, &mut vbuf);
                    list.push(End::Tail, Elem::from_bytes(&vbuf), fill);
                }
            }
            if out_len > 0 {
                ctx.db().set(dst, Value::List(Box::new(list)), false);
                ctx.key_modified(dst);
                ctx.notify(notify::LIST, "sortstore", dst);
                // Redis counts every stored element as a change.
                ctx.srv.dirty += out_len as u64 - 1;
            } else if ctx.db().discard(dst, Discard::ServerDel) {
                ctx.key_modified(dst);
                ctx.notify(notify::GENERIC, "del", dst);
            }
            ctx.client.reply.int(out_len as i64);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    fn h() -> Harness {
        Harness::new()
    }

    #[test]
    fn numeric_sort_of_list() {
        let mut h = h();
        h.run_str(&["rpush", "l", "3", "1", "2", "-1.5", "10"]);
        assert_eq!(
            h.run_str(&["sort", "l"]),
            "*5\r\n$4\r\n-1.5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "l", "desc", "limit", "1", "2"]),
            "*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run_str(&["sort_ro", "l", "limit", "5", "1"]), "*0\r\n");
        assert_eq!(
            h.run_str(&["sort", "l", "limit", "-5", "2"]),
            "*2\r\n$4\r\n-1.5\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "l", "limit", "3", "9223372036854775807"]),
            "*2\r\n$1\r\n3\r\n$2\r\n10\r\n"
        );
        assert_eq!(h.run_str(&["sort", "nokey"]), "*0\r\n");
    }

    #[test]
    fn numeric_ties_compare_bytes() {
        let mut h = h();
        h.run_str(&["rpush", "l", "1.0", "1", "01", "b"]);
        assert_eq!(
            h.run_str(&["sort", "l"]),
            "-ERR One or more scores can't be converted into double\r\n"
        );
        h.run_str(&["lrem", "l", "0", "b"]);
        assert_eq!(
            h.run_str(&["sort", "l"]),
            "*3\r\n$2\r\n01\r\n$1\r\n1\r\n$3\r\n1.0\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "l", "desc"]),
            "*3\r\n$3\r\n1.0\r\n$1\r\n1\r\n$2\r\n01\r\n"
        );
    }

    #[test]
    fn scores_parse_like_strtod() {
        use super::parse_score;
        assert_eq!(parse_score(b""), Some(0.0));
        assert_eq!(parse_score(b" 5"), Some(5.0));
        assert_eq!(parse_score(b"5 "), None);
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"1e400"), None);
        assert_eq!(parse_score(b"1e-400"), None);
        assert_eq!(parse_score(b"4e-320"), None);
        assert_eq!(parse_score(b"0e-400"), Some(0.0));
        assert_eq!(parse_score(b"nan"), None);
        assert_eq!(parse_score(b"0x"), None);
        assert_eq!(parse_score(b"+.5"), Some(0.5));
        assert_eq!(parse_score(b"7\x00junk"), Some(7.0));
    }

    #[test]
    fn alpha_and_binary() {
        let mut h = h();
        h.run_str(&["rpush", "l", "b", "a", "C", "aa"]);
        assert_eq!(
            h.run_str(&["sort", "l", "alpha"]),
            "*4\r\n$1\r\nC\r\n$1\r\na\r\n$2\r\naa\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "l", "alpha", "desc", "limit", "0", "1"]),
            "*1\r\n$1\r\nb\r\n"
        );
        // Without STORE, ALPHA compares C strings: "x\0b" ties "x\0a".
        h.run_bytes(&[b"rpush", b"bin", b"x\x00b", b"x\x00a", b"x"]);
        assert_eq!(
            h.run_bytes(&[b"sort", b"bin", b"alpha"]),
            b"*3\r\n$3\r\nx\x00b\r\n$3\r\nx\x00a\r\n$1\r\nx\r\n".to_vec()
        );
        assert_eq!(h.run_str(&["sort", "bin", "alpha", "store", "d"]), ":3\r\n");
        assert_eq!(
            h.run_bytes(&[b"lrange", b"d", b"0", b"-1"]),
            b"*3\r\n$1\r\nx\r\n$3\r\nx\x00a\r\n$3\r\nx\x00b\r\n".to_vec()
        );
    }

    #[test]
    fn by_and_get_patterns() {
        let mut h = h();
        h.run_str(&["rpush", "l", "c", "b", "a", "d", "e"]);
        h.run_str(&["mset", "w_a", "1", "w_b", "1", "w_c", "2", "w_d", "1"]);
        assert_eq!(
            h.run_str(&["sort", "l", "by", "w_*"]),
            "*5\r\n$1\r\ne\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nd\r\n$1\r\nc\r\n"
        );
        // ALPHA BY keeps ties in source order; a missing key sorts first.
        assert_eq!(
            h.run_str(&["sort", "l", "by", "w_*", "alpha"]),
            "*5\r\n$1\r\ne\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\nc\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "l", "by", "w_*", "alpha", "desc"]),
            "*5\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n"
        );
        h.run_str(&["hset", "h_a", "f", "x", "n", "5"]);
        h.run_str(&["hset", "h_c", "f", "y", "n", "-1"]);
        assert_eq!(
            h.run_str(&[
                "sort", "l", "by", "h_*->n", "limit", "0", "2", "get", "#", "get", "h_*->f", "get",
                "w_*", "get", "nostar"
            ]),
            "*8\r\n$1\r\nc\r\n$1\r\ny\r\n$1\r\n2\r\n$-1\r\n$1\r\nb\r\n$-1\r\n$1\r\n1\r\n$-1\r\n"
        );
        // A key of the wrong type reads as missing.
        h.run_str(&["rpush", "w_e", "x"]);
        assert_eq!(
            h.run_str(&["sort", "l", "by", "nosort", "get", "w_*", "limit", "4", "1"]),
            "*1\r\n$-1\r\n"
        );
        // BY a string that is not a number.
        h.run_str(&["set", "w_a", "x"]);
        assert_eq!(
            h.run_str(&["sort", "l", "by", "w_*"]),
            "-ERR One or more scores can't be converted into double\r\n"
        );
    }

    #[test]
    fn by_with_limit_places_ties_like_redis() {
        let mut h = h();
        let mut push = vec!["rpush", "t"];
        let nums: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        push.extend(nums.iter().map(|s| s.as_str()));
        h.run_str(&push);
        h.run_str(&[
            "mset", "tw_1", "b", "tw_2", "a", "tw_3", "b", "tw_4", "a", "tw_5", "c", "tw_6", "a",
            "tw_7", "b", "tw_8", "b", "tw_9", "a", "tw_10", "c",
        ]);
        // Replies of redis-server 7.0.15.
        assert_eq!(
            h.run_str(&["sort", "t", "by", "tw_*", "alpha", "limit", "3", "4"]),
            "*4\r\n$2\r\n13\r\n$2\r\n14\r\n$2\r\n15\r\n$2\r\n16\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "t", "by", "tw_*", "alpha", "limit", "8", "6"]),
            "*6\r\n$2\r\n18\r\n$2\r\n19\r\n$1\r\n9\r\n$1\r\n6\r\n$1\r\n2\r\n$1\r\n4\r\n"
        );
    }

    #[test]
    fn nosort_keeps_order() {
        let mut h = h();
        h.run_str(&["rpush", "l", "3", "1", "2"]);
        assert_eq!(
            h.run_str(&["sort", "l", "by", "nosort", "desc"]),
            "*3\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "l", "by", "nosort", "limit", "1", "5"]),
            "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
        );
        h.run_str(&["zadd", "z", "1", "a", "2", "b", "3", "c"]);
        assert_eq!(
            h.run_str(&["object", "encoding", "z"]),
            "$8\r\nlistpack\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "z", "by", "nosort", "desc", "limit", "1", "1"]),
            "*1\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            h.run_str(&["object", "encoding", "z"]),
            "$8\r\nskiplist\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "z", "by", "nosort"]),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        // A set stored unsorted is sorted ALPHA.
        h.run_str(&["sadd", "s", "10", "9", "x"]);
        assert_eq!(
            h.run_str(&["sort", "s", "by", "nosort", "store", "d"]),
            ":3\r\n"
        );
        assert_eq!(
            h.run_str(&["lrange", "d", "0", "-1"]),
            "*3\r\n$2\r\n10\r\n$1\r\n9\r\n$1\r\nx\r\n"
        );
    }

    #[test]
    fn store() {
        let mut h = h();
        h.run_str(&["sadd", "s", "3", "1", "2"]);
        h.run_str(&["set", "d", "x", "ex", "100"]);
        assert_eq!(h.run_str(&["sort", "s", "store", "d"]), ":3\r\n");
        assert_eq!(h.run_str(&["ttl", "d"]), ":-1\r\n");
        assert_eq!(
            h.run_str(&["lrange", "d", "0", "-1"]),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "s", "get", "#", "get", "k_*", "store", "d"]),
            ":6\r\n"
        );
        assert_eq!(
            h.run_str(&["lrange", "d", "0", "-1"]),
            "*6\r\n$1\r\n1\r\n$0\r\n\r\n$1\r\n2\r\n$0\r\n\r\n$1\r\n3\r\n$0\r\n\r\n"
        );
        assert_eq!(h.run_str(&["sort", "nokey", "store", "d"]), ":0\r\n");
        assert_eq!(h.run_str(&["exists", "d"]), ":0\r\n");
        assert_eq!(h.run_str(&["sort", "s", "store", "s"]), ":3\r\n");
        assert_eq!(h.run_str(&["type", "s"]), "+list\r\n");
    }

    #[test]
    fn errors() {
        let mut h = h();
        h.run_str(&["set", "str", "x"]);
        h.run_str(&["hset", "h", "f", "v"]);
        assert_eq!(
            h.run_str(&["sort", "str"]),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(
            h.run_str(&["sort_ro", "h"]),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        // Options are checked before the key's type.
        assert_eq!(
            h.run_str(&["sort", "str", "bogus"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "str", "limit", "x", "1"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "str", "limit", "1", "1.5"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run_str(&["sort", "str", "limit", "1"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run_str(&["sort", "str", "by"]), "-ERR syntax error\r\n");
        assert_eq!(h.run_str(&["sort", "str", "get"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run_str(&["sort", "str", "store"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["sort_ro", "nokey", "store", "d"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run_str(&["sort"]),
            "-ERR wrong number of arguments for 'sort' command\r\n"
        );
        assert_eq!(
            h.run_str(&["sort_ro"]),
            "-ERR wrong number of arguments for 'sort_ro' command\r\n"
        );
    }

    #[test]
    fn getkeys_and_resp3() {
        let mut h = h();
        assert_eq!(
            h.run_str(&["command", "getkeys", "sort", "k", "limit", "0", "1", "store", "d"]),
            "*2\r\n$1\r\nk\r\n$1\r\nd\r\n"
        );
        assert_eq!(
            h.run_str(&["command", "getkeys", "sort_ro", "k", "get", "x"]),
            "*1\r\n$1\r\nk\r\n"
        );
        h.run_str(&["hello", "3"]);
        h.run_str(&["rpush", "l", "1"]);
        assert_eq!(
            h.run_str(&["sort", "l", "get", "#", "get", "x_*"]),
            "*2\r\n$1\r\n1\r\n_\r\n"
        );
    }
}
