//! Sorted-set commands: ZADD and friends, the ZRANGE family (rank, score
//! and lex ranges, ZRANGESTORE), removal by range, pops, ZRANDMEMBER,
//! ZSCAN and the set operations (ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD).
//!
//! Redis counterpart: `t_zset.c` (the command half).

use super::spec::{cmd, keys, CommandSpec, Group};
use super::{args, expect_type, flags::*, Ctx};
use crate::config::notify;
use crate::db::blocking::TimeoutReply;
use crate::db::Discard;
use crate::errors::{CmdError, CmdResult};
use crate::resp::reply::{Aggregate, ReplyBuf};
use crate::types::zset::{AddFlags, AddOutcome, Limits, ZSet};
use crate::types::{Value, ValueType};
use crate::util::numfmt::{format_g17, parse_f64};

const G: Group = Group::SortedSet;

/// A range predicate on (member, score).
type Pred<'a> = Box<dyn Fn(&[u8], f64) -> bool + 'a>;
/// A set-operation input: its elements (None for a missing key) and weight.
type Source = (Option<Vec<(Vec<u8>, f64)>>, f64);

/// The sorted-set command table rows (sorted by name).
pub static COMMANDS: &[CommandSpec] = &[
    cmd("bzmpop", -5, WRITE | BLOCKING, keys(0, 0, 0), G, bzmpop)
        .movable(super::getkeys::numkeys_second)
        .doc("Remove and return members with scores in a sorted set or block until one is available", "7.0.0"),
    cmd("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys(1, -2, 1), G, bzpopmax)
        .doc("Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0"),
    cmd("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys(1, -2, 1), G, bzpopmin)
        .doc("Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0"),
    cmd("zadd", -4, WRITE | DENYOOM | FAST, keys(1, 1, 1), G, zadd),
    cmd("zcard", 2, READONLY | FAST, keys(1, 1, 1), G, zcard),
    cmd("zcount", 4, READONLY | FAST, keys(1, 1, 1), G, zcount),
    cmd("zdiff", -3, READONLY, keys(0, 0, 0), G, zdiff).movable(super::getkeys::numkeys_first),
    cmd(
        "zdiffstore",
        -4,
        WRITE | DENYOOM,
        keys(1, 1, 1),
        G,
        zdiffstore,
    )
    .movable(super::getkeys::dest_numkeys),
    cmd(
        "zincrby",
        4,
        WRITE | DENYOOM | FAST,
        keys(1, 1, 1),
        G,
        zincrby,
    ),
    cmd("zinter", -3, READONLY, keys(0, 0, 0), G, zinter).movable(super::getkeys::numkeys_first),
    cmd("zintercard", -3, READONLY, keys(0, 0, 0), G, zintercard)
        .movable(super::getkeys::numkeys_first),
    cmd(
        "zinterstore",
        -4,
        WRITE | DENYOOM,
        keys(1, 1, 1),
        G,
        zinterstore,
    )
    .movable(super::getkeys::dest_numkeys),
    cmd("zlexcount", 4, READONLY | FAST, keys(1, 1, 1), G, zlexcount),
    cmd("zmpop", -4, WRITE, keys(0, 0, 0), G, zmpop).movable(super::getkeys::numkeys_first),
    cmd("zmscore", -3, READONLY | FAST, keys(1, 1, 1), G, zmscore),
    cmd("zpopmax", -2, WRITE | FAST, keys(1, 1, 1), G, zpopmax),
    cmd("zpopmin", -2, WRITE | FAST, keys(1, 1, 1), G, zpopmin),
    cmd("zrandmember", -2, READONLY, keys(1, 1, 1), G, zrandmember)
        .tips(&["nondeterministic_output"]),
    cmd("zrange", -4, READONLY, keys(1, 1, 1), G, zrange),
    cmd("zrangebylex", -4, READONLY, keys(1, 1, 1), G, zrangebylex),
    cmd(
        "zrangebyscore",
        -4,
        READONLY,
        keys(1, 1, 1),
        G,
        zrangebyscore,
    ),
    cmd(
        "zrangestore",
        -5,
        WRITE | DENYOOM,
        keys(1, 2, 1),
        G,
        zrangestore,
    ),
    cmd("zrank", 3, READONLY | FAST, keys(1, 1, 1), G, zrank),
    cmd("zrem", -3, WRITE | FAST, keys(1, 1, 1), G, zrem),
    cmd("zremrangebylex", 4, WRITE, keys(1, 1, 1), G, zremrangebylex),
    cmd(
        "zremrangebyrank",
        4,
        WRITE,
        keys(1, 1, 1),
        G,
        zremrangebyrank,
    ),
    cmd(
        "zremrangebyscore",
        4,
        WRITE,
        keys(1, 1, 1),
        G,
        zremrangebyscore,
    ),
    cmd("zrevrange", -4, READONLY, keys(1, 1, 1), G, zrevrange),
    cmd(
        "zrevrangebylex",
        -4,
        READONLY,
        keys(1, 1, 1),
        G,
        zrevrangebylex,
    ),
    cmd(
        "zrevrangebyscore",
        -4,
        READONLY,
        keys(1, 1, 1),
        G,
        zrevrangebyscore,
    ),
    cmd("zrevrank", 3, READONLY | FAST, keys(1, 1, 1), G, zrevrank),
    cmd("zscan", -3, READONLY, keys(1, 1, 1), G, zscan).tips(&["nondeterministic_output"]),
    cmd("zscore", 3, READONLY | FAST, keys(1, 1, 1), G, zscore),
    cmd("zunion", -3, READONLY, keys(0, 0, 0), G, zunion).movable(super::getkeys::numkeys_first),
    cmd(
        "zunionstore",
        -4,
        WRITE | DENYOOM,
        keys(1, 1, 1),
        G,
        zunionstore,
    )
    .movable(super::getkeys::dest_numkeys),
];

const MIN_MAX_NOT_FLOAT: &str = "ERR min or max is not a float";
const MIN_MAX_NOT_LEX: &str = "ERR min or max not valid string range item";
const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";

// ---------------------------------------------------------------------------
// Helpers

/// The current conversion thresholds.
fn limits(ctx: &Ctx) -> Limits {
    let c = &ctx.srv.config;
    Limits {
        max_entries: c.get_i64("zset-max-listpack-entries").max(0) as usize,
        max_value: c.get_i64("zset-max-listpack-value").max(0) as usize,
    }
}

/// Looks a sorted set up for reading (hits/misses counted).
fn read_zset<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a ZSet>, CmdError> {
    let db = ctx.client.db;
    match ctx.srv.lookup_read(db, key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Looks a sorted set up for writing.
fn write_zset<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut ZSet>, CmdError> {
    let db = ctx.client.db;
    match ctx.srv.lookup_write(db, key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Deletes `key` if its sorted set became empty.
fn drop_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.now_ms();
    if let Some(Value::ZSet(z)) = ctx.db().get(key, now) {
        if z.is_empty() {
            ctx.db().remove(key);
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
}

/// A score argument as `getDoubleFromObject` reads it: strtod rules, NaN
/// and out-of-range (overflow to ±inf, underflow to 0) refused.
fn score_arg(arg: &[u8], err: CmdError) -> Result<f64, CmdError> {
    let v = parse_f64(arg).ok_or_else(|| err.clone())?;
    let text = arg.to_ascii_lowercase();
    let hex = text.windows(2).any(|w| w == b"0x");
    if v.is_infinite() && !text.windows(3).any(|w| w == b"inf") {
        return Err(err);
    }
    if v == 0.0 && !hex {
        let mantissa = text.split(|&c| c == b'e').next().unwrap_or_default();
        if mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) {
            return Err(err);
        }
    }
    Ok(v)
}

/// `strtod` as `zslParseRange` uses it: leading whitespace skipped, the
/// whole rest must be consumed (up to a NUL), "" is 0, NaN refused.
fn range_float(arg: &[u8]) -> Option<f64> {
    let arg = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if arg.is_empty() {
        return Some(0.0);
    }
    let start = arg
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    parse_f64(&arg[start..])
}

/// A score interval.
#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl ScoreRange {
    fn parse(min: &[u8], max: &[u8]) -> Result<Self, CmdError> {
        let bound = |a: &[u8]| -> Option<(f64, bool)> {
            match a.first() {
                Some(b'(') => Some((range_float(&a[1..])?, true)),
                _ => Some((range_float(a)?, false)),
            }
        };
        let err = || CmdError::msg(MIN_MAX_NOT_FLOAT);
        let (min, minex) = bound(min).ok_or_else(err)?;
        let (max, maxex) = bound(max).ok_or_else(err)?;
        Ok(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }
    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
    fn gte_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }
    fn lte_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
}

/// One end of a lex range.
#[derive(Clone, Copy, Debug)]
enum Lex<'a> {
    NegInf,
    PosInf,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

/// A lex interval.
#[derive(Clone, Copy, Debug)]
struct LexRange<'a> {
    min: Lex<'a>,
    max: Lex<'a>,
}

impl<'a> LexRange<'a> {
    fn parse(min: &'a [u8], max: &'a [u8]) -> Result<Self, CmdError> {
        fn item(a: &[u8]) -> Option<Lex<'_>> {
            match a.first()? {
                b'+' if a.len() == 1 => Some(Lex::PosInf),
                b'-' if a.len() == 1 => Some(Lex::NegInf),
                b'(' => Some(Lex::Excl(&a[1..])),
                b'[' => Some(Lex::Incl(&a[1..])),
                _ => None,
            }
        }
        let err = || CmdError::msg(MIN_MAX_NOT_LEX);
        Ok(LexRange {
            min: item(min).ok_or_else(err)?,
            max: item(max).ok_or_else(err)?,
        })
    }
    fn gte_min(&self, m: &[u8]) -> bool {
        match self.min {
            Lex::NegInf => true,
            Lex::PosInf => false,
            Lex::Incl(b) => m >= b,
            Lex::Excl(b) => m > b,
        }
    }
    fn lte_max(&self, m: &[u8]) -> bool {
        match self.max {
            Lex::NegInf => false,
            Lex::PosInf => true,
            Lex::Incl(b) => m <= b,
            Lex::Excl(b) => m < b,
        }
    }
    /// `zslIsInLexRange`'s emptiness test on the bounds alone.
    fn is_empty(&self) -> bool {
        match (self.min, self.max) {
            (Lex::PosInf, _) | (_, Lex::NegInf) => true,
            (Lex::NegInf, _) | (_, Lex::PosInf) => false,
            (Lex::Incl(a), Lex::Incl(b)) => a > b,
            (Lex::Incl(a) | Lex::Excl(a), Lex::Excl(b)) | (Lex::Excl(a), Lex::Incl(b)) => a >= b,
        }
    }
}

/// `zzlIsInLexRange`/`zslIsInLexRange`: the bounds are not empty and
/// overlap the set's first and last elements.
fn lex_overlaps(z: &ZSet, r: &LexRange) -> bool {
    if r.is_empty() || z.is_empty() {
        return false;
    }
    let last_ok = z.at_rank(z.len() - 1).is_some_and(|(m, _)| r.gte_min(&m));
    let first_ok = z.at_rank(0).is_some_and(|(m, _)| r.lte_max(&m));
    last_ok && first_ok
}

/// Writes one (member, score) of a WITHSCORES reply.
fn emit(reply: &mut ReplyBuf, m: &[u8], s: f64, withscores: bool) {
    if withscores && reply.resp3 {
        reply.array_len(2);
    }
    reply.bulk(m);
    if withscores {
        reply.double(s);
    }
}

/// The array header of `n` elements of a WITHSCORES-capable reply.
fn emit_len(reply: &mut ReplyBuf, n: usize, withscores: bool) {
    if withscores && !reply.resp3 {
        reply.array_len(n * 2);
    } else {
        reply.array_len(n);
    }
}

/// Stores `items` (any order) as a new sorted set at `dst` (or deletes
/// `dst` when empty); replies with the stored cardinality.
fn store_result(ctx: &mut Ctx, dst: &[u8], items: Vec<(Vec<u8>, f64)>) {
    let n = items.len();
    if n == 0 {
        let now = ctx.now_ms();
        ctx.client.reply.int(0);
        if ctx.db().peek(dst, now).is_some() && ctx.db().discard(dst, Discard::ServerDel) {
            ctx.key_modified(dst);
            ctx.notify(notify::GENERIC, "del", dst);
        }
        return;
    }
    let lim = limits(ctx);
    let mut z = ZSet::new();
    if n > lim.max_entries {
        z.convert_to_skiplist();
    }
    for (m, s) in &items {
        z.insert_new(m, *s, lim);
    }
    ctx.db().set(dst, Value::ZSet(Box::new(z)), false);
    ctx.key_modified(dst);
    // The event is the command's name (zunionstore, zrangestore, ...).
    ctx.client.reply.int(n as i64);
    ctx.notify(notify::ZSET, ctx.cmd.name, dst);
}

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK

/// The shared body of ZADD and ZINCRBY (`zaddGenericCommand`).
fn zadd_generic(ctx: &mut Ctx, incr_cmd: bool) -> CmdResult {
    let argv = ctx.argv;
    let key = argv[1];
    let mut f = AddFlags {
        incr: incr_cmd,
        ..Default::default()
    };
    let mut ch = false;
    let mut idx = 2;
    while idx < argv.len() {
        let o = argv[idx];
        if args::is(o, "nx") {
            f.nx = true;
        } else if args::is(o, "xx") {
            f.xx = true;
        } else if args::is(o, "ch") {
            ch = true;
        } else if args::is(o, "incr") {
            f.incr = true;
        } else if args::is(o, "gt") {
            f.gt = true;
        } else if args::is(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = argv.len() - idx;
    if !elements.is_multiple_of(2) || elements == 0 {
        return Err(CmdError::Syntax);
    }
    let elements = elements / 2;
    if f.nx && f.xx {
        return Err(CmdError::msg(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::msg(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 1 {
        return Err(CmdError::msg(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(elements.min(1024));
    for j in 0..elements {
        scores.push(score_arg(argv[idx + j * 2], CmdError::NotFloat)?);
    }
    let (exists, big) = match write_zset(ctx, key)? {
        Some(z) => (true, !z.is_listpack()),
        None => (false, false),
    };
    // A skiplist never converts back: skip the config lookups for it.
    let lim = if big { Limits::default() } else { limits(ctx) };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last_score = 0.0;
    let mut nan = false;
    if exists || !f.xx {
        if !exists {
            let mut z = ZSet::new();
            if lim.max_entries == 0 || argv[idx + 1].len() > lim.max_value {
                z.convert_to_skiplist();
            }
            ctx.db().insert_new(key, Value::ZSet(Box::new(z)));
        }
        let Some(z) = write_zset(ctx, key)? else {
            return Err(CmdError::WrongType);
        };
        for (j, &score) in scores.iter().enumerate() {
            let member = argv[idx + j * 2 + 1];
            match z.add(member, score, f, lim) {
                None => {
                    nan = true;
                    break;
                }
                Some((outcome, s)) => {
                    last_score = s;
                    match outcome {
                        AddOutcome::Added => added += 1,
                        AddOutcome::Updated => updated += 1,
                        _ => {}
                    }
                    if outcome != AddOutcome::Nop {
                        processed += 1;
                    }
                }
            }
        }
        if added > 0 || updated > 0 {
            ctx.key_modified(key);
        }
    }
    // Redis notifies after the reply (before the error reply on NaN).
    let event = if f.incr { "zincr" } else { "zadd" };
    if nan {
        if added > 0 || updated > 0 {
            ctx.notify(notify::ZSET, event, key);
        }
        return Err(CmdError::msg(NAN_RESULT));
    }
    if f.incr {
        if processed > 0 {
            ctx.client.reply.double(last_score);
        } else {
            ctx.client.reply.null();
        }
    } else {
        ctx.client
            .reply
            .int(if ch { added + updated } else { added });
    }
    if added > 0 || updated > 0 {
        ctx.notify(notify::ZSET, event, key);
    }
    Ok(())
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, false)
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, true)
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let Some(z) = write_zset(ctx, argv[1])? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.remove(m) {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.key_modified(argv[1]);
        ctx.notify(notify::ZSET, "zrem", argv[1]);
        drop_if_empty(ctx, argv[1]);
    }
    ctx.client.reply.int(deleted);
    Ok(())
}

/// ZCARD key
fn zcard(ctx: &mut Ctx) -> CmdResult {
    let n = read_zset(ctx, ctx.argv[1])?.map_or(0, |z| z.len());
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx) -> CmdResult {
    let member = ctx.argv[2];
    match read_zset(ctx, ctx.argv[1])?.and_then(|z| z.score(member)) {
        Some(s) => ctx.client.reply.double(s),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let scores: Vec<Option<f64>> = match read_zset(ctx, argv[1])? {
        Some(z) => argv[2..].iter().map(|m| z.score(m)).collect(),
        None => vec![None; argv.len() - 2],
    };
    let reply = &mut ctx.client.reply;
    reply.array_len(scores.len());
    for s in scores {
        match s {
            Some(s) => reply.double(s),
            None => reply.null(),
        }
    }
    Ok(())
}

fn zrank_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let member = ctx.argv[2];
    let r = read_zset(ctx, ctx.argv[1])?.and_then(|z| {
        z.rank(member)
            .map(|r| if rev { z.len() - 1 - r } else { r })
    });
    match r {
        Some(r) => ctx.client.reply.int(r as i64),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

/// ZRANK key member
fn zrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, false)
}

/// ZREVRANK key member
fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, true)
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx) -> CmdResult {
    let range = ScoreRange::parse(ctx.argv[2], ctx.argv[3])?;
    let n = match read_zset(ctx, ctx.argv[1])? {
        Some(z) if !range.is_empty() => count_score(z, &range),
        _ => 0,
    };
    ctx.client.reply.int(n as i64);
    Ok(())
}

fn count_score(z: &ZSet, range: &ScoreRange) -> usize {
    let first = z.first_not(|_, s| !range.gte_min(s));
    match z.last_with(|_, s| range.lte_max(s)) {
        Some(last) if last >= first => last - first + 1,
        _ => 0,
    }
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let range = LexRange::parse(argv[2], argv[3])?;
    let n = match read_zset(ctx, argv[1])? {
        Some(z) if lex_overlaps(z, &range) && !z.is_listpack() => {
            // Skiplist: rank difference of the first and last in range.
            let first = z.first_not(|m, _| !range.gte_min(m));
            match z.last_with(|m, _| range.lte_max(m)) {
                Some(last) if last >= first => last - first + 1,
                _ => 0,
            }
        }
        Some(z) if lex_overlaps(z, &range) => {
            let first = z.first_not(|m, _| !range.gte_min(m));
            let mut n = 0usize;
            z.walk(first, false, |m, _| {
                if range.lte_max(m) {
                    n += 1;
                    true
                } else {
                    false
                }
            });
            n
        }
        _ => 0,
    };
    ctx.client.reply.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// The ZRANGE family

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// Collects or replies with range results (`zrange_result_handler`).
struct Sink {
    withscores: bool,
    store: Option<Vec<(Vec<u8>, f64)>>,
    count: usize,
}

impl Sink {
    fn push(&mut self, reply: &mut ReplyBuf, m: &[u8], s: f64) {
        self.count += 1;
        match &mut self.store {
            Some(v) => v.push((m.to_vec(), s)),
            None => emit(reply, m, s, self.withscores),
        }
    }
}

/// `zrangeGenericCommand`: parses options and bounds, then emits the
/// range to the client or into `dst`.
fn zrange_generic(
    ctx: &mut Ctx,
    start_idx: usize,
    dst: Option<&[u8]>,
    mut rtype: RangeType,
    mut dir: Direction,
) -> CmdResult {
    let argv = ctx.argv;
    let key = argv[start_idx];
    let mut minidx = start_idx + 1;
    let mut maxidx = start_idx + 2;
    let mut withscores = false;
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut j = start_idx + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if dst.is_none() && args::is(a, "withscores") {
            withscores = true;
        } else if args::is(a, "limit") && left >= 2 {
            offset = args::int(argv[j + 1])?;
            limit = args::int(argv[j + 2])?;
            j += 2;
        } else if dir == Direction::Auto && args::is(a, "rev") {
            dir = Direction::Reverse;
        } else if rtype == RangeType::Auto && args::is(a, "bylex") {
            rtype = RangeType::Lex;
        } else if rtype == RangeType::Auto && args::is(a, "byscore") {
            rtype = RangeType::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if dir == Direction::Auto {
        dir = Direction::Forward;
    }
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if limit != -1 && rtype == RangeType::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rtype == RangeType::Lex {
        return Err(CmdError::msg(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let rev = dir == Direction::Reverse;
    if rev && rtype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let (mut rank_range, mut score_range, mut lex_range) = (None, None, None);
    match rtype {
        RangeType::Score => score_range = Some(ScoreRange::parse(argv[minidx], argv[maxidx])?),
        RangeType::Lex => lex_range = Some(LexRange::parse(argv[minidx], argv[maxidx])?),
        _ => rank_range = Some((args::int(argv[minidx])?, args::int(argv[maxidx])?)),
    }

    let mut sink = Sink {
        withscores,
        store: dst.map(|_| Vec::new()),
        count: 0,
    };
    let db = ctx.client.db;
    let z = match ctx.srv.lookup_read(db, key) {
        None => None,
        Some(v) => {
            expect_type(v, ValueType::ZSet)?;
            match v {
                Value::ZSet(z) => Some(z),
                _ => None,
            }
        }
    };
    let reply = &mut ctx.client.reply;
    let Some(z) = z else {
        match dst {
            Some(d) => store_result(ctx, d, Vec::new()),
            None => reply.array_len(0),
        }
        return Ok(());
    };
    let len = z.len() as i64;
    let store = dst.is_some();
    if let Some((mut start, mut end)) = rank_range {
        if start < 0 {
            start += len;
        }
        if end < 0 {
            end += len;
        }
        if start < 0 {
            start = 0;
        }
        if start > end || start >= len {
            if !store {
                reply.array_len(0);
            }
        } else {
            if end >= len {
                end = len - 1;
            }
            let n = (end - start + 1) as usize;
            if !store {
                emit_len(reply, n, withscores);
            }
            let mut left = n;
            z.walk(start as usize, rev, |m, s| {
                sink.push(reply, m, s);
                left -= 1;
                left > 0
            });
        }
    } else if offset > 0 && offset >= len {
        if !store {
            reply.array_len(0);
        }
    } else {
        let deferred = (!store).then(|| reply.deferred_len());
        let in_min: Pred = match (&score_range, &lex_range) {
            (Some(r), _) => {
                let r = *r;
                Box::new(move |_, s| r.gte_min(s))
            }
            (_, Some(r)) => {
                let r = *r;
                Box::new(move |m, _| r.gte_min(m))
            }
            _ => Box::new(|_, _| false),
        };
        let in_max: Pred = match (&score_range, &lex_range) {
            (Some(r), _) => {
                let r = *r;
                Box::new(move |_, s| r.lte_max(s))
            }
            (_, Some(r)) => {
                let r = *r;
                Box::new(move |m, _| r.lte_max(m))
            }
            _ => Box::new(|_, _| false),
        };
        let empty = score_range.is_some_and(|r| r.is_empty())
            || lex_range.is_some_and(|r| !lex_overlaps(z, &r));
        // The first element in range in the walking direction.
        let start = if empty {
            None
        } else if rev {
            z.last_with(|m, s| in_max(m, s))
                .filter(|&r| z.at_rank(r).is_some_and(|(m, s)| in_min(&m, s)))
                .map(|r| z.len() - 1 - r)
        } else {
            let r = z.first_not(|m, s| !in_min(m, s));
            (r < z.len()).then_some(r)
        };
        if let Some(start) = start {
            let mut skip = offset;
            let mut limit = limit;
            z.walk(start, rev, |m, s| {
                if skip != 0 {
                    skip -= 1;
                    return true;
                }
                if limit == 0 {
                    return false;
                }
                let ok = if rev { in_min(m, s) } else { in_max(m, s) };
                if !ok {
                    return false;
                }
                sink.push(reply, m, s);
                limit -= 1;
                true
            });
        }
        if let Some(d) = deferred {
            let n = if withscores && !reply.resp3 {
                sink.count * 2
            } else {
                sink.count
            };
            reply.set_deferred_len(d, Aggregate::Array, n);
        }
    }
    if let (Some(d), Some(items)) = (dst, sink.store) {
        store_result(ctx, d, items);
    }
    Ok(())
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Auto, Direction::Auto)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv[1];
    zrange_generic(ctx, 2, Some(dst), RangeType::Auto, Direction::Auto)
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Rank, Direction::Reverse)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Score, Direction::Forward)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Score, Direction::Reverse)
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Lex, Direction::Forward)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, None, RangeType::Lex, Direction::Reverse)
}

// ---------------------------------------------------------------------------
// ZREMRANGEBY*

fn zremrange_generic(ctx: &mut Ctx, rtype: RangeType) -> CmdResult {
    let argv = ctx.argv;
    let key = argv[1];
    let (mut rank, mut score, mut lex) = (None, None, None);
    match rtype {
        RangeType::Score => score = Some(ScoreRange::parse(argv[2], argv[3])?),
        RangeType::Lex => lex = Some(LexRange::parse(argv[2], argv[3])?),
        _ => rank = Some((args::int(argv[2])?, args::int(argv[3])?)),
    }
    let Some(z) = write_zset(ctx, key)? else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let len = z.len() as i64;
    let (start, count) = if let Some((mut start, mut end)) = rank {
        if start < 0 {
            start += len;
        }
        if end < 0 {
            end += len;
        }
        if start < 0 {
            start = 0;
        }
        if start > end || start >= len {
            (0, 0)
        } else {
            if end >= len {
                end = len - 1;
            }
            (start as usize, (end - start + 1) as usize)
        }
    } else if let Some(r) = score {
        if r.is_empty() {
            (0, 0)
        } else {
            let first = z.first_not(|_, s| !r.gte_min(s));
            let mut n = 0;
            z.walk(first, false, |_, s| {
                let ok = r.lte_max(s);
                n += ok as usize;
                ok
            });
            (first, n)
        }
    } else if let Some(r) = lex {
        if !lex_overlaps(z, &r) {
            (0, 0)
        } else {
            let first = z.first_not(|m, _| !r.gte_min(m));
            let mut n = 0;
            z.walk(first, false, |m, _| {
                let ok = r.lte_max(m);
                n += ok as usize;
                ok
            });
            (first, n)
        }
    } else {
        (0, 0)
    };
    if count > 0 {
        z.remove_rank_range(start, count);
        ctx.key_modified(key);
        let event = match rtype {
            RangeType::Score => "zremrangebyscore",
            RangeType::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        ctx.notify(notify::ZSET, event, key);
        drop_if_empty(ctx, key);
    }
    ctx.client.reply.int(count as i64);
    Ok(())
}

/// ZREMRANGEBYRANK key start stop
fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    zremrange_generic(ctx, RangeType::Rank)
}

/// ZREMRANGEBYSCORE key min max
fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zremrange_generic(ctx, RangeType::Score)
}

/// ZREMRANGEBYLEX key min max
fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    zremrange_generic(ctx, RangeType::Lex)
}

// ---------------------------------------------------------------------------
// Pops

/// `genericZpopCommand` for ZPOPMIN/ZPOPMAX (`nested` = RESP3 pairs) and
/// ZMPOP (`emit_key`).
fn zpop_generic(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    emit_key: bool,
    count: i64,
    nested: bool,
) -> CmdResult {
    let db = ctx.client.db;
    let mut found = None;
    for &k in keys {
        match ctx.srv.lookup_write(db, k) {
            None => continue,
            Some(v) => {
                expect_type(v, ValueType::ZSet)?;
                found = Some(k);
                break;
            }
        }
    }
    let Some(key) = found else {
        if emit_key {
            ctx.client.reply.null_array();
        } else {
            ctx.client.reply.array_len(0);
        }
        return Ok(());
    };
    if count == 0 {
        ctx.client.reply.array_len(0);
        return Ok(());
    }
    let count = if count == -1 { 1 } else { count };
    let Some(z) = write_zset(ctx, key)? else {
        return Err(CmdError::WrongType);
    };
    let n = (count as u64).min(z.len() as u64) as usize;
    let start = if max { z.len() - n } else { 0 };
    let mut popped = Vec::with_capacity(n);
    z.walk(0, max, |m, s| {
        popped.push((m.to_vec(), s));
        popped.len() < n
    });
    z.remove_rank_range(start, n);
    let reply = &mut ctx.client.reply;
    if emit_key {
        reply.array_len(2);
        reply.bulk(key);
        reply.array_len(n);
    } else if nested {
        reply.array_len(n);
    } else {
        reply.array_len(n * 2);
    }
    // Redis emits the event between the header and the elements.
    let elems_pos = reply.buf.len();
    for (m, s) in &popped {
        if nested {
            reply.array_len(2);
        }
        reply.bulk(m);
        reply.double(*s);
    }
    ctx.key_modified(key);
    let event = if max { "zpopmax" } else { "zpopmin" };
    ctx.notify_at(elems_pos, notify::ZSET, event, key);
    drop_if_empty(ctx, key);
    if emit_key {
        // ZMPOP/BZMPOP are replayed as the plain pop (Redis 7.0).
        let n = count.to_string();
        ctx.propagate_as(&[zpop_name(max), key, n.as_bytes()]);
    }
    Ok(())
}

fn zpop_min_max(ctx: &mut Ctx, max: bool) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let mut count = -1;
    if argv.len() == 3 {
        count = match crate::util::numfmt::parse_i64(argv[2]) {
            Some(v) if v >= 0 => v,
            _ => return Err(CmdError::msg(crate::errors::POSITIVE)),
        };
    }
    let nested = ctx.client.reply.resp3 && count != -1;
    zpop_generic(ctx, &argv[1..2], max, false, count, nested)
}

/// ZPOPMIN key [count]
fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop_min_max(ctx, false)
}

/// ZPOPMAX key [count]
fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop_min_max(ctx, true)
}

/// A long in [1, LONG_MAX] or the given error (for both parse and range).
fn positive_or(arg: &[u8], err: &'static str) -> Result<i64, CmdError> {
    match crate::util::numfmt::parse_i64(arg) {
        Some(v) if v >= 1 => Ok(v),
        _ => Err(CmdError::msg(err)),
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
fn zmpop(ctx: &mut Ctx) -> CmdResult {
    zmpop_generic(ctx, 1, None)
}

/// ZMPOP and BZMPOP: `numkeys` at `first`; with a deadline the client
/// blocks when every key is missing.
fn zmpop_generic(ctx: &mut Ctx, first: usize, deadline: Option<i64>) -> CmdResult {
    let argv = ctx.argv;
    let numkeys = positive_or(argv[first], "ERR numkeys should be greater than 0")? as u64;
    let where_idx = (first as u64 + 1).saturating_add(numkeys) as usize;
    if where_idx >= argv.len() {
        return Err(CmdError::Syntax);
    }
    let max = if args::is(argv[where_idx], "min") {
        false
    } else if args::is(argv[where_idx], "max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && args::is(argv[j], "count") && more > 0 {
            j += 1;
            count = positive_or(argv[j], "ERR count should be greater than 0")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = &argv[first + 1..where_idx];
    if let Some(deadline) = deadline {
        if !any_zset(ctx, keys)? {
            let keys = keys.iter().map(|k| k.to_vec()).collect();
            ctx.block(keys, deadline, TimeoutReply::NullArray);
            return Ok(());
        }
    }
    zpop_generic(ctx, keys, max, true, count, true)
}

/// Whether any of `keys` holds a sorted set (WRONGTYPE for other types).
fn any_zset(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<bool, CmdError> {
    let db = ctx.client.db;
    for &k in keys {
        if let Some(v) = ctx.srv.lookup_write(db, k) {
            expect_type(v, ValueType::ZSet)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// The non-blocking pop ZMPOP and BZPOP* are propagated as.
fn zpop_name(max: bool) -> &'static [u8] {
    if max {
        b"ZPOPMAX"
    } else {
        b"ZPOPMIN"
    }
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout: pops one member from the
/// first non-empty sorted set as [key, member, score], else blocks.
fn bzpop_generic(ctx: &mut Ctx, max: bool) -> CmdResult {
    let argv = ctx.argv;
    let deadline = args::block_timeout(argv[argv.len() - 1], ctx.now_ms())?;
    let keys = &argv[1..argv.len() - 1];
    let db = ctx.client.db;
    let mut found = None;
    for &k in keys {
        if let Some(v) = ctx.srv.lookup_write(db, k) {
            expect_type(v, ValueType::ZSet)?;
            found = Some(k);
            break;
        }
    }
    let Some(key) = found else {
        let keys = keys.iter().map(|k| k.to_vec()).collect();
        ctx.block(keys, deadline, TimeoutReply::NullArray);
        return Ok(());
    };
    let Some(z) = write_zset(ctx, key)? else {
        return Err(CmdError::WrongType);
    };
    let mut popped = None;
    z.walk(0, max, |m, s| {
        popped = Some((m.to_vec(), s));
        false
    });
    let Some((member, score)) = popped else {
        return Err(CmdError::WrongType);
    };
    let start = if max { z.len() - 1 } else { 0 };
    z.remove_rank_range(start, 1);
    let r = &mut ctx.client.reply;
    r.array_len(3);
    r.bulk(key);
    let elems_pos = r.buf.len();
    r.bulk(&member);
    r.double(score);
    ctx.key_modified(key);
    let event = if max { "zpopmax" } else { "zpopmin" };
    ctx.notify_at(elems_pos, notify::ZSET, event, key);
    drop_if_empty(ctx, key);
    ctx.propagate_as(&[zpop_name(max), key]);
    Ok(())
}

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    bzpop_generic(ctx, false)
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    bzpop_generic(ctx, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let deadline = args::block_timeout(ctx.argv[1], ctx.now_ms())?;
    zmpop_generic(ctx, 2, Some(deadline))
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN

/// ZRANDMEMBER key [count [WITHSCORES]]
fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    if argv.len() >= 3 {
        let l = args::int(argv[2])?;
        if l == i64::MIN {
            return Err(CmdError::msg("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
        }
        let mut withscores = false;
        if argv.len() > 4 || (argv.len() == 4 && !args::is(argv[3], "withscores")) {
            return Err(CmdError::Syntax);
        } else if argv.len() == 4 {
            withscores = true;
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
                return Err(CmdError::msg("ERR value is out of range"));
            }
        }
        return zrandmember_count(ctx, l, withscores);
    }
    let mut rng = ctx.srv.rng;
    let picked = read_zset(ctx, argv[1])?.and_then(|z| {
        let r = crate::db::dict::next_random(&mut rng) as usize % z.len().max(1);
        z.at_rank(r)
    });
    ctx.srv.rng = rng;
    match picked {
        Some((m, _)) => ctx.client.reply.bulk(&m),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

fn zrandmember_count(ctx: &mut Ctx, l: i64, withscores: bool) -> CmdResult {
    let argv = ctx.argv;
    let db = ctx.client.db;
    let mut rng = ctx.srv.rng;
    let z = match ctx.srv.lookup_read(db, argv[1]) {
        None => None,
        Some(Value::ZSet(z)) => Some(&**z),
        Some(_) => return Err(CmdError::WrongType),
    };
    let reply = &mut ctx.client.reply;
    let Some(z) = z else {
        reply.array_len(0);
        return Ok(());
    };
    let size = z.len();
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        reply.array_len(0);
        return Ok(());
    }
    let mut draw = |n: usize| crate::db::dict::next_random(&mut rng) as usize % n.max(1);
    if !uniq || count == 1 {
        // Repetitions allowed: emit while drawing (count may be huge), one
        // O(log n) rank lookup per draw on a big set.
        let small = z.is_listpack().then(|| z.to_vec());
        emit_len(reply, count as usize, withscores);
        for _ in 0..count {
            let r = draw(size);
            match &small {
                Some(all) => {
                    if let Some((m, s)) = all.get(r) {
                        emit(reply, m, *s, withscores);
                    }
                }
                None => z.walk(r, false, |m, s| {
                    emit(reply, m, s, withscores);
                    false
                }),
            }
        }
    } else if count as usize >= size {
        // The whole set, highest score first (as Redis 7.0 replies).
        emit_len(reply, size, withscores);
        z.walk(0, true, |m, s| {
            emit(reply, m, s, withscores);
            true
        });
    } else if (count as usize).saturating_mul(3) > size {
        // A large share: shuffle the whole set partially.
        let mut all = z.to_vec();
        let count = count as usize;
        for i in 0..count {
            let j = i + draw(all.len() - i);
            all.swap(i, j);
        }
        emit_len(reply, count, withscores);
        for (m, s) in &all[..count] {
            emit(reply, m, *s, withscores);
        }
    } else {
        // A small share: draw distinct ranks.
        let count = count as usize;
        let mut picked = std::collections::HashSet::with_capacity(count);
        let mut order = Vec::with_capacity(count);
        while order.len() < count {
            let r = draw(size);
            if picked.insert(r) {
                order.push(r);
            }
        }
        emit_len(reply, count, withscores);
        for r in order {
            z.walk(r, false, |m, s| {
                emit(reply, m, s, withscores);
                false
            });
        }
    }
    ctx.srv.rng = rng;
    Ok(())
}

/// The score text a listpack ZSCAN shows (integers as integers).
fn listpack_score_text(s: f64) -> String {
    if s == s.trunc() && s.abs() <= (i64::MAX / 2) as f64 {
        format!("{}", s as i64)
    } else {
        format_g17(s)
    }
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let mut cursor = args::parse_cursor(argv[2])?;
    let Some(z) = read_zset(ctx, argv[1])? else {
        ctx.client.reply.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
        return Ok(());
    };
    let (count, pattern) = args::scan_options(argv, 3)?;
    let listpack = z.is_listpack();
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = z.scan_step(cursor, |m, s| found.push((m.to_vec(), s)));
        if cursor == 0 || budget == 0 {
            break;
        }
        budget -= 1;
        if found.len() as i64 >= count {
            break;
        }
    }
    if let Some(p) = pattern {
        let g = crate::util::glob::GlobPattern::new(p, false);
        found.retain(|(m, _)| g.matches(m));
    }
    let reply = &mut ctx.client.reply;
    reply.array_len(2);
    let mut digits = Vec::with_capacity(20);
    crate::util::numfmt::push_u64(&mut digits, cursor);
    reply.bulk(&digits);
    reply.array_len(found.len() * 2);
    for (m, s) in &found {
        reply.bulk(m);
        let text = if listpack {
            listpack_score_text(*s)
        } else {
            format_g17(*s)
        };
        reply.bulk(text.as_bytes());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, ZINTERCARD and their STORE forms

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Agg {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, agg: Agg) {
    match agg {
        Agg::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Agg::Min => {
            if val < *target {
                *target = val;
            }
        }
        Agg::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// `zunionInterDiffGenericCommand`.
fn setop_generic(
    ctx: &mut Ctx,
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let argv = ctx.argv;
    let setnum = args::int(argv[numkeys_idx])?;
    if setnum < 1 {
        return Err(CmdError::owned(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        )));
    }
    if setnum > (argv.len() - (numkeys_idx + 1)) as i64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let db = ctx.client.db;
    // Each source: (elements ascending, weight); None for a missing key.
    let mut srcs: Vec<Source> = Vec::with_capacity(setnum);
    for k in &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum] {
        match ctx.srv.lookup_read(db, k) {
            None => srcs.push((None, 1.0)),
            Some(Value::ZSet(z)) => srcs.push((Some(z.to_vec()), 1.0)),
            // A plain set counts as a sorted set whose scores are all 1.
            Some(Value::Set(set)) => {
                let mut items: Vec<(Vec<u8>, f64)> = set
                    .iter()
                    .map(|m| (m.with_bytes(|b| b.to_vec()), 1.0))
                    .collect();
                items.sort_by(|a, b| a.0.cmp(&b.0));
                srcs.push((Some(items), 1.0));
            }
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    let mut agg = Agg::Sum;
    let mut withscores = false;
    let mut limit: i64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = argv[j];
        if op != SetOp::Diff && !card_only && remaining > setnum && args::is(a, "weights") {
            j += 1;
            for src in srcs.iter_mut() {
                src.1 = score_arg(argv[j], CmdError::msg("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && args::is(a, "aggregate") {
            let v = argv[j + 1];
            agg = if args::is(v, "sum") {
                Agg::Sum
            } else if args::is(v, "min") {
                Agg::Min
            } else if args::is(v, "max") {
                Agg::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card_only && args::is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && args::is(a, "limit") {
            limit = match crate::util::numfmt::parse_i64(argv[j + 1]) {
                Some(v) if v >= 0 => v,
                _ => return Err(CmdError::msg("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let len_of = |s: &Source| s.0.as_ref().map_or(0, |v| v.len());
    if op != SetOp::Diff {
        srcs.sort_by_key(len_of);
    }
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cardinality: i64 = 0;
    match op {
        SetOp::Inter => {
            let maps: Vec<std::collections::HashMap<&[u8], f64>> = srcs
                .iter()
                .map(|s| {
                    s.0.iter()
                        .flatten()
                        .map(|(m, sc)| (m.as_slice(), *sc))
                        .collect()
                })
                .collect();
            if let Some((Some(first), w0)) = srcs.first() {
                for (m, s0) in first {
                    let mut score = w0 * s0;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for (i, src) in srcs.iter().enumerate().skip(1) {
                        match maps[i].get(m.as_slice()) {
                            Some(v) => aggregate(&mut score, v * src.1, agg),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if all {
                        if card_only {
                            cardinality += 1;
                            if limit > 0 && cardinality >= limit {
                                break;
                            }
                        } else {
                            result.push((m.clone(), score));
                        }
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: std::collections::HashMap<Vec<u8>, f64> = Default::default();
            for (src, w) in &srcs {
                for (m, s) in src.iter().flatten() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, agg),
                        None => {
                            acc.insert(m.clone(), score);
                        }
                    }
                }
            }
            result = acc.into_iter().collect();
        }
        SetOp::Diff => {
            if let Some((Some(first), _)) = srcs.first() {
                let others: Vec<std::collections::HashSet<&[u8]>> = srcs[1..]
                    .iter()
                    .map(|s| s.0.iter().flatten().map(|(m, _)| m.as_slice()).collect())
                    .collect();
                for (m, s) in first {
                    if !others.iter().any(|o| o.contains(m.as_slice())) {
                        result.push((m.clone(), *s));
                    }
                }
            }
        }
    }
    if card_only {
        ctx.client.reply.int(cardinality);
        return Ok(());
    }
    if let Some(d) = dst {
        store_result(ctx, d, result);
        return Ok(());
    }
    result.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let reply = &mut ctx.client.reply;
    emit_len(reply, result.len(), withscores);
    for (m, s) in &result {
        emit(reply, m, *s, withscores);
    }
    Ok(())
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zunion(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, None, 1, SetOp::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zinter(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, None, 1, SetOp::Inter, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
fn zdiff(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, None, 1, SetOp::Diff, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
fn zintercard(ctx: &mut Ctx) -> CmdResult {
    setop_generic(ctx, None, 1, SetOp::Inter, true)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv[1];
    setop_generic(ctx, Some(dst), 2, SetOp::Union, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv[1];
    setop_generic(ctx, Some(dst), 2, SetOp::Inter, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    let dst = ctx.argv[1];
    setop_generic(ctx, Some(dst), 2, SetOp::Diff, false)
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;

    fn run(h: &mut Harness, args: &[&str]) -> String {
        h.run_str(args)
    }

    #[test]
    fn zadd_flags_and_errors() {
        let mut h = Harness::new();
        assert_eq!(run(&mut h, &["zadd", "z", "1", "a", "2", "b"]), ":2\r\n");
        assert_eq!(
            run(&mut h, &["zadd", "z", "ch", "5", "a", "3", "c"]),
            ":2\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "nx", "xx", "1", "a"]),
            "-ERR XX and NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "gt", "lt", "1", "a"]),
            "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "incr", "1", "a", "2", "b"]),
            "-ERR INCR option supports a single increment-element pair\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "x", "a"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "1", "a", "2"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "incr", "1.5", "a"]),
            "$3\r\n6.5\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "xx", "incr", "1", "nosuch"]),
            "$-1\r\n"
        );
        assert_eq!(run(&mut h, &["zadd", "z", "gt", "ch", "1", "a"]), ":0\r\n");
        assert_eq!(run(&mut h, &["zadd", "inf", "inf", "a"]), ":1\r\n");
        assert_eq!(
            run(&mut h, &["zincrby", "inf", "-inf", "a"]),
            "-ERR resulting score is not a number (NaN)\r\n"
        );
        assert_eq!(
            run(&mut h, &["zadd", "z", "1e400", "a"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(run(&mut h, &["zscore", "z", "a"]), "$3\r\n6.5\r\n");
        assert_eq!(run(&mut h, &["zadd", "f", "1.1", "a"]), ":1\r\n");
        assert_eq!(
            run(&mut h, &["zscore", "f", "a"]),
            "$18\r\n1.1000000000000001\r\n"
        );
        h.run(&["set", "s", "v"]);
        assert_eq!(
            run(&mut h, &["zadd", "s", "1", "a"]),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(run(&mut h, &["zadd", "new", "xx", "1", "a"]), ":0\r\n");
        assert_eq!(run(&mut h, &["exists", "new"]), ":0\r\n");
    }

    #[test]
    fn ranges_and_ranks() {
        let mut h = Harness::new();
        h.run(&["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
        assert_eq!(
            run(&mut h, &["zrange", "z", "1", "2"]),
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(
            run(&mut h, &["zrange", "z", "0", "0", "withscores"]),
            "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            run(&mut h, &["zrevrange", "z", "0", "1"]),
            "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"
        );
        assert_eq!(
            run(&mut h, &["zrangebyscore", "z", "(1", "3"]),
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(
            run(
                &mut h,
                &["zrevrangebyscore", "z", "+inf", "-inf", "limit", "1", "2"]
            ),
            "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            run(&mut h, &["zrange", "z", "[b", "(d", "bylex"]),
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(run(&mut h, &["zrange", "z", "0", "1", "limit", "0", "1"]),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n");
        assert_eq!(
            run(&mut h, &["zrangebylex", "z", "-", "+", "withscores"]),
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"
        );
        assert_eq!(
            run(&mut h, &["zrangebylex", "z", "a", "+"]),
            "-ERR min or max not valid string range item\r\n"
        );
        assert_eq!(
            run(&mut h, &["zcount", "z", "x", "1"]),
            "-ERR min or max is not a float\r\n"
        );
        assert_eq!(run(&mut h, &["zcount", "z", "2", "+inf"]), ":3\r\n");
        assert_eq!(run(&mut h, &["zlexcount", "z", "(a", "+"]), ":3\r\n");
        assert_eq!(run(&mut h, &["zrank", "z", "c"]), ":2\r\n");
        assert_eq!(run(&mut h, &["zrevrank", "z", "c"]), ":1\r\n");
        assert_eq!(run(&mut h, &["zrank", "z", "x"]), "$-1\r\n");
        assert_eq!(
            run(&mut h, &["zmscore", "z", "a", "x"]),
            "*2\r\n$1\r\n1\r\n$-1\r\n"
        );
        assert_eq!(run(&mut h, &["zrangestore", "d", "z", "1", "-1"]), ":3\r\n");
        assert_eq!(
            run(&mut h, &["zremrangebyscore", "d", "-inf", "(3"]),
            ":1\r\n"
        );
        assert_eq!(run(&mut h, &["zremrangebyrank", "d", "0", "-1"]), ":2\r\n");
        assert_eq!(run(&mut h, &["exists", "d"]), ":0\r\n");
        assert_eq!(
            run(&mut h, &["zpopmin", "z"]),
            "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            run(&mut h, &["zmpop", "2", "x", "z", "max", "count", "2"]),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
        );
    }

    #[test]
    fn big_sets_convert_and_agree() {
        let mut h = Harness::new();
        for i in 0..300 {
            let s = (i % 17).to_string();
            let m = format!("m{:03}", i);
            h.run(&["zadd", "big", &s, &m]);
        }
        h.run(&["config", "set", "zset-max-listpack-entries", "1000"]);
        for i in 0..300 {
            let s = (i % 17).to_string();
            let m = format!("m{:03}", i);
            h.run(&["zadd", "lp", &s, &m]);
            if i < 100 {
                h.run(&["zadd", "small", &s, &m]);
            }
        }
        assert_eq!(
            run(&mut h, &["object", "encoding", "big"]),
            "$8\r\nskiplist\r\n"
        );
        assert_eq!(
            run(&mut h, &["object", "encoding", "lp"]),
            "$8\r\nlistpack\r\n"
        );
        for q in [
            vec!["zrange", "K", "5", "20", "withscores"],
            vec!["zrange", "K", "-20", "-5", "rev"],
            vec!["zrangebyscore", "K", "(3", "5", "limit", "2", "7"],
            vec!["zrevrangebyscore", "K", "5", "(3", "limit", "2", "7"],
            vec!["zrangebylex", "K", "[m", "+"],
            vec!["zcount", "K", "3", "(7"],
            vec!["zrank", "K", "m050"],
            vec!["zrevrank", "K", "m050"],
            vec!["zscore", "K", "m050"],
        ] {
            let mut a = q.clone();
            a[1] = "big";
            let mut b = q.clone();
            b[1] = "lp";
            assert_eq!(h.run_str(&a), h.run_str(&b), "{:?}", q);
        }
        assert_eq!(run(&mut h, &["zcount", "big", "3", "(7"]), ":72\r\n");
        assert_eq!(
            run(&mut h, &["zinterstore", "i", "2", "big", "small"]),
            ":100\r\n"
        );
        assert_eq!(
            run(&mut h, &["zdiffstore", "d", "2", "big", "small"]),
            ":200\r\n"
        );
        assert_eq!(
            run(
                &mut h,
                &["zunionstore", "u", "2", "big", "small", "weights", "1", "0"]
            ),
            ":300\r\n"
        );
        assert_eq!(
            run(&mut h, &["zintercard", "2", "big", "small", "limit", "10"]),
            ":10\r\n"
        );
        assert_eq!(
            run(&mut h, &["zremrangebylex", "big", "-", "+"]),
            ":300\r\n"
        );
    }

    #[test]
    fn resp3_shapes() {
        let mut h = Harness::new();
        h.run(&["hello", "3"]);
        h.run(&["zadd", "z", "1", "a", "2.5", "b"]);
        assert_eq!(run(&mut h, &["zscore", "z", "b"]), ",2.5\r\n");
        assert_eq!(run(&mut h, &["zscore", "z", "x"]), "_\r\n");
        assert_eq!(
            run(&mut h, &["zrange", "z", "0", "-1", "withscores"]),
            "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"
        );
        assert_eq!(
            run(&mut h, &["zpopmin", "z", "1"]),
            "*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
        );
        assert_eq!(run(&mut h, &["zpopmin", "z"]), "*2\r\n$1\r\nb\r\n,2.5\r\n");
        assert_eq!(run(&mut h, &["zmpop", "1", "z", "min"]), "_\r\n");
    }

    #[test]
    fn random_scan_and_setop_errors() {
        let mut h = Harness::new();
        for i in 0..200 {
            h.run(&["zadd", "big", &i.to_string(), &format!("m{}", i)]);
        }
        h.run(&["zadd", "small", "1", "a", "2", "b", "3", "c"]);
        for (n, want) in [("5", 5), ("150", 150), ("-7", 7), ("1000", 200)] {
            let r = h.run_str(&["zrandmember", "big", n]);
            assert!(r.starts_with(&format!("*{}\r\n", want)), "{} {}", n, r);
        }
        assert_eq!(
            run(&mut h, &["zrandmember", "small", "5", "withscores"]),
            "*6\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            run(&mut h, &["zrandmember", "small", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(
            run(
                &mut h,
                &["zrandmember", "small", "-5000000000000000000", "withscores"]
            ),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            run(&mut h, &["zscan", "small", "0", "match", "b*"]),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(
            run(&mut h, &["zscan", "small", "0", "count", "0"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut h, &["zscan", "nosuch", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        // A full ZSCAN of a skiplist set returns every member.
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        loop {
            let r = h.run_str(&["zscan", "big", &cursor]);
            let lines: Vec<&str> = r.split("\r\n").collect();
            cursor = lines[2].to_string();
            for (i, l) in lines.iter().enumerate().skip(4) {
                if l.starts_with('m') && lines[i - 1].starts_with('$') {
                    seen.insert(l.to_string());
                }
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 200);
        assert_eq!(
            run(&mut h, &["zunion", "0", "small"]),
            "-ERR at least 1 input key is needed for 'zunion' command\r\n"
        );
        assert_eq!(
            run(&mut h, &["zunion", "3", "small"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut h, &["zunion", "1", "small", "weights", "x"]),
            "-ERR weight value is not a float\r\n"
        );
        assert_eq!(
            run(&mut h, &["zintercard", "1", "small", "limit", "-1"]),
            "-ERR LIMIT can't be negative\r\n"
        );
        assert_eq!(
            run(&mut h, &["zmpop", "0", "small", "min"]),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            run(&mut h, &["zmpop", "1", "small", "min", "count", "0"]),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(
            run(&mut h, &["zpopmin", "small", "-1"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        let u = run(&mut h, &["zunion", "2", "small", "big", "withscores"]);
        assert!(u.starts_with("*406\r\n"), "{}", &u[..10]);
        assert_eq!(
            run(&mut h, &["zdiff", "2", "small", "big", "withscores"]),
            "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"
        );
    }
}
