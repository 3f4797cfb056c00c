//! Bitmap commands on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP
//! BITFIELD BITFIELD_RO, plus LCS (a string command kept here so string.rs
//! stays about plain strings).
//!
//! Redis counterpart: `bitops.c` (and `lcsCommand` in `t_string.c`).

use crate::db::Discard;
use std::borrow::Cow;

use super::spec::{cmd, keys, CommandSpec, Group};
use super::{args, expect_string, Ctx};
use crate::commands::flags::*;
use crate::config::notify;
use crate::errors::{CmdError, CmdResult};
use crate::types::Value;

const BIT: Group = Group::Bitmap;
/// The one key at position 1.
const KEY: (i32, i32, i32) = keys(1, 1, 1);
/// Write commands that may grow memory.
const WD: u32 = WRITE | DENYOOM;

/// The bitmap family's rows of the command table (and LCS), sorted by name.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    cmd("bitcount", -2, READONLY, KEY, BIT, bitcount_command)
        .doc("Count set bits in a string", "2.6.0"),
    cmd("bitfield", -2, WD, KEY, BIT, bitfield_command)
        .doc("Perform arbitrary bitfield integer operations on strings", "3.2.0"),
    cmd("bitfield_ro", -2, READONLY | FAST, KEY, BIT, bitfield_ro_command)
        .doc("Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "6.0.0"),
    cmd("bitop", -4, WD, keys(2, -1, 1), BIT, bitop_command)
        .doc("Perform bitwise operations between strings", "2.6.0"),
    cmd("bitpos", -3, READONLY, KEY, BIT, bitpos_command)
        .doc("Find first bit set or clear in a string", "2.8.7"),
    cmd("getbit", 3, READONLY | FAST, KEY, BIT, getbit_command)
        .doc("Returns the bit value at offset in the string value stored at key", "2.2.0"),
    cmd("lcs", -3, READONLY, keys(1, 2, 1), Group::String, lcs_command)
        .doc("Find longest common substring", "7.0.0"),
    cmd("setbit", 4, WD, KEY, BIT, setbit_command)
        .doc("Sets or clears the bit at offset in the string value stored at key", "2.2.0"),
];

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERR: &str = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const LCS_TOO_BIG: &str =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
const LCS_ALLOC_FAILED: &str =
    "ERR Insufficient memory, failed allocating transient memory for LCS";
const ALLOC_FAILED: &str = "ERR Insufficient memory, failed allocating the string";

/// The bytes of a string value (int-encoded ones formatted).
fn string_bytes(v: &Value) -> Cow<'_, [u8]> {
    match v.str_bytes() {
        Some(b) => Cow::Borrowed(b),
        None => Cow::Owned(v.to_bytes()),
    }
}

/// Redis compares keywords with `strcasecmp` on C strings, so an argument
/// matches up to its first NUL byte ("bit\0x" is BIT).
fn keyword(arg: &[u8], kw: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    args::is(&arg[..end], kw)
}

/// Parses a bit offset (`getBitOffsetFromArgument`): a non-negative integer
/// whose byte lies below proto-max-bulk-len. With `bits > 0` (BITFIELD) the
/// `#N` form means N * bits (multiplied with wrap-around, as Redis does).
fn bit_offset(arg: &[u8], bits: u32, max_len: i64) -> Result<u64, CmdError> {
    let err = || CmdError::msg(BIT_OFFSET_ERR);
    let hash = bits > 0 && arg.first() == Some(&b'#');
    let digits = if hash { &arg[1..] } else { arg };
    let mut off = crate::util::numfmt::parse_i64(digits).ok_or_else(err)?;
    if hash {
        off = off.wrapping_mul(bits as i64);
    }
    if off < 0 || (off >> 3) >= max_len {
        return Err(err());
    }
    Ok(off as u64)
}

/// Grows `buf` with zeros to at least `len` bytes; whether it grew.
fn grow_zero(buf: &mut Vec<u8>, len: usize) -> Result<bool, CmdError> {
    if buf.len() >= len {
        return Ok(false);
    }
    buf.try_reserve_exact(len - buf.len())
        .map_err(|_| CmdError::msg(ALLOC_FAILED))?;
    buf.resize(len, 0);
    Ok(true)
}

/// Looks a string up for a bit write (`lookupStringForBitCommand`): creates
/// it, or makes it `raw` and zero-pads it, so that it holds byte `byte`.
/// Returns the buffer and whether the key was created or grew.
fn string_for_bit_write<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    byte: u64,
) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let len = usize::try_from(byte)
        .ok()
        .and_then(|b| b.checked_add(1))
        .ok_or(CmdError::msg(ALLOC_FAILED))?;
    let now = ctx.now_ms();
    let db = ctx.db();
    let slot = match db.find_live(key, now) {
        Some(i) => {
            expect_string(db.dict.value_at(i))?;
            i
        }
        None => {
            let mut buf = Vec::new();
            grow_zero(&mut buf, len)?;
            let i = db.insert_new(key, Value::raw(buf));
            return match db.dict.value_at_mut(i) {
                Value::Raw(v) => Ok((v, true)),
                _ => Err(CmdError::msg(ALLOC_FAILED)),
            };
        }
    };
    let buf = db.dict.value_at_mut(slot).make_raw();
    let grew = grow_zero(buf, len)?;
    Ok((buf, grew))
}

/// SETBIT key offset value
pub fn setbit_command(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv[1];
    let offset = bit_offset(ctx.argv[2], 0, ctx.srv.config.proto_max_bulk_len)?;
    let on = crate::util::numfmt::parse_i64(ctx.argv[3]).ok_or(CmdError::msg(BIT_VALUE_ERR))?;
    if on & !1 != 0 {
        return Err(CmdError::msg(BIT_VALUE_ERR));
    }
    let (buf, grew) = string_for_bit_write(ctx, key, offset >> 3)?;
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = buf.get(byte).copied().unwrap_or(0) & mask != 0;
    if let Some(b) = buf.get_mut(byte) {
        if on == 1 {
            *b |= mask;
        } else {
            *b &= !mask;
        }
    }
    // Redis 7.0 counts a change only when the string grew or the bit flipped.
    if grew || old != (on == 1) {
        ctx.key_modified(key);
        ctx.notify(notify::STRING, "setbit", key);
    }
    ctx.client.reply.int(old as i64);
    Ok(())
}

/// GETBIT key offset
pub fn getbit_command(ctx: &mut Ctx) -> CmdResult {
    let offset = bit_offset(ctx.argv[2], 0, ctx.srv.config.proto_max_bulk_len)?;
    let db = ctx.client.db;
    let bit = match ctx.srv.lookup_read(db, ctx.argv[1]) {
        None => 0,
        Some(v) => {
            expect_string(v)?;
            let s = string_bytes(v);
            let byte = usize::try_from(offset >> 3).unwrap_or(usize::MAX);
            match s.get(byte) {
                Some(b) => (b >> (7 - (offset & 7))) & 1,
                None => 0,
            }
        }
    };
    ctx.client.reply.int(bit as i64);
    Ok(())
}

/// BIT or BYTE unit keyword (syntax error otherwise); true for BIT.
fn unit_is_bit(arg: &[u8]) -> Result<bool, CmdError> {
    if keyword(arg, "bit") {
        Ok(true)
    } else if keyword(arg, "byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Clamps a start/end pair against `total` units like Redis's bit
/// commands: negatives count from the end, then both are clamped into
/// `[0, total-1]` (end may become -1 for an empty string).
fn clamp_range(mut start: i64, mut end: i64, total: i64) -> (i64, i64) {
    if start < 0 {
        start = start.saturating_add(total);
    }
    if end < 0 {
        end = end.saturating_add(total);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start, end)
}

/// Whether bit `i` (MSB first) of `s` is set; bits past the end are 0.
#[inline]
fn bit_at(s: &[u8], i: u64) -> bool {
    let byte = usize::try_from(i >> 3).unwrap_or(usize::MAX);
    s.get(byte).is_some_and(|b| b & (0x80 >> (i & 7)) != 0)
}

/// Number of set bits in the inclusive bit range `[from, to]` of `s`.
fn count_bits(s: &[u8], from: u64, to: u64) -> u64 {
    let (fb, tb) = ((from >> 3) as usize, (to >> 3) as usize);
    let Some(bytes) = s.get(fb..=tb) else {
        return 0;
    };
    let mut n: u64 = bytes.iter().map(|b| b.count_ones() as u64).sum();
    // Take off the bits of the edge bytes outside the range.
    let head = bytes[0] & !(0xffu8 >> (from & 7));
    let tail = bytes[bytes.len() - 1] & (0x7fu8 >> (to & 7));
    n -= (head.count_ones() + tail.count_ones()) as u64;
    n
}

/// BITCOUNT key [start end [BYTE|BIT]]
pub fn bitcount_command(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let argv = ctx.argv;
    // Redis 7.0 looks the key up before parsing anything else: a missing
    // key is 0 whatever the arguments.
    let Some(v) = ctx.srv.lookup_read(db, argv[1]) else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    expect_string(v)?;
    let s = string_bytes(v);
    let len = s.len() as i64;
    let (from, to) = match argv.len() {
        2 => (0, len * 8 - 1),
        4 | 5 => {
            let start = args::int(argv[2])?;
            let end = args::int(argv[3])?;
            if start < 0 && end < 0 && start > end {
                ctx.client.reply.int(0);
                return Ok(());
            }
            let is_bit = match argv.get(4) {
                Some(a) => unit_is_bit(a)?,
                None => false,
            };
            if is_bit {
                clamp_range(start, end, len * 8)
            } else {
                let (s, e) = clamp_range(start, end, len);
                (s.saturating_mul(8), e.saturating_mul(8).saturating_add(7))
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let n = if from > to || to < 0 {
        0
    } else {
        count_bits(&s, from as u64, to as u64)
    };
    ctx.client.reply.int(n as i64);
    Ok(())
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
pub fn bitpos_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let bit = args::int(argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::msg("ERR The bit argument must be 1 or 0."));
    }
    let want = bit == 1;
    let db = ctx.client.db;
    // A missing key is an endless run of zeros; nothing else is parsed.
    let Some(v) = ctx.srv.lookup_read(db, argv[1]) else {
        ctx.client.reply.int(if want { -1 } else { 0 });
        return Ok(());
    };
    expect_string(v)?;
    let s = string_bytes(v);
    let len = s.len() as i64;
    let mut end_given = false;
    let (from, to) = match argv.len() {
        3 => (0, len * 8 - 1),
        4..=6 => {
            let start = args::int(argv[3])?;
            let is_bit = match argv.get(5) {
                Some(a) => unit_is_bit(a)?,
                None => false,
            };
            let end = match argv.get(4) {
                Some(a) => {
                    end_given = true;
                    args::int(a)?
                }
                None => len - 1,
            };
            if is_bit {
                clamp_range(start, end, len * 8)
            } else {
                let (s, e) = clamp_range(start, end, len);
                if s > e {
                    (1, 0)
                } else {
                    (s * 8, e * 8 + 7)
                }
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    if from > to || to < 0 {
        ctx.client.reply.int(-1);
        return Ok(());
    }
    let (from, to) = (from as u64, to as u64);
    let found = first_bit(&s, from, to, want);
    let pos = match found {
        Some(p) => p as i64,
        // Without an explicit end the string counts as padded with zeros:
        // the first clear bit is the one just past the range's last byte.
        None if !want && !end_given => (((to >> 3) + 1) * 8) as i64,
        None => -1,
    };
    ctx.client.reply.int(pos);
    Ok(())
}

/// Position of the first bit equal to `want` in the inclusive bit range
/// `[from, to]` of `s` (which lies inside `s`).
fn first_bit(s: &[u8], from: u64, to: u64, want: bool) -> Option<u64> {
    let scan = |a: u64, b: u64| (a..=b).find(|&i| bit_at(s, i) == want);
    // Bits before the first whole byte.
    let head_end = ((from + 7) & !7).min(to + 1);
    if from < head_end {
        if let Some(p) = scan(from, head_end - 1) {
            return Some(p);
        }
    }
    // Whole bytes: skip those without a wanted bit.
    let (first_byte, end_byte) = (head_end >> 3, (to + 1) >> 3);
    if first_byte < end_byte {
        let skip = if want { 0x00 } else { 0xff };
        let bytes = s
            .get(first_byte as usize..end_byte as usize)
            .unwrap_or_default();
        if let Some(k) = bytes.iter().position(|&b| b != skip) {
            let at = (first_byte + k as u64) * 8;
            return scan(at, at + 7);
        }
    }
    // Bits after the last whole byte.
    let tail = (end_byte * 8).max(head_end);
    if tail <= to {
        return scan(tail, to);
    }
    None
}

#[derive(Clone, Copy, PartialEq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
pub fn bitop_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let op = argv[1];
    let op = if keyword(op, "and") {
        BitOp::And
    } else if keyword(op, "or") {
        BitOp::Or
    } else if keyword(op, "xor") {
        BitOp::Xor
    } else if keyword(op, "not") {
        BitOp::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == BitOp::Not && argv.len() != 4 {
        return Err(CmdError::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = argv[2];
    let sources = &argv[3..];
    let db = ctx.client.db;
    // Look every source up first (expiring stale ones, counting hits and
    // misses, failing on the first non-string), then read them in place.
    for key in sources {
        if let Some(v) = ctx.srv.lookup_read(db, key) {
            expect_string(v)?;
        }
    }
    let dbr = &ctx.srv.keyspace.dbs[db];
    let values: Vec<Option<Cow<[u8]>>> = sources
        .iter()
        .map(|k| dbr.dict.find(k).map(|i| string_bytes(dbr.dict.value_at(i))))
        .collect();
    let maxlen = values
        .iter()
        .map(|v| v.as_ref().map_or(0, |b| b.len()))
        .max()
        .unwrap_or(0);
    let mut res = Vec::new();
    if maxlen > 0 {
        res.try_reserve_exact(maxlen)
            .map_err(|_| CmdError::msg(ALLOC_FAILED))?;
        let first: &[u8] = values[0].as_deref().unwrap_or_default();
        res.extend_from_slice(first);
        res.resize(maxlen, 0);
        match op {
            BitOp::Not => res.iter_mut().for_each(|b| *b = !*b),
            _ => {
                for v in &values[1..] {
                    let src: &[u8] = v.as_deref().unwrap_or_default();
                    let (head, tail) = res.split_at_mut(src.len());
                    for (r, s) in head.iter_mut().zip(src) {
                        match op {
                            BitOp::And => *r &= s,
                            BitOp::Or => *r |= s,
                            _ => *r ^= s,
                        }
                    }
                    if op == BitOp::And {
                        tail.fill(0);
                    }
                }
            }
        }
    }
    drop(values);
    let now = ctx.now_ms();
    if maxlen > 0 {
        let dbm = ctx.db();
        dbm.peek(dest, now);
        dbm.set(dest, Value::raw(res), false);
        ctx.key_modified(dest);
        ctx.notify(notify::STRING, "set", dest);
    } else if ctx.db().peek(dest, now).is_some() && ctx.db().discard(dest, Discard::ServerDel) {
        ctx.key_modified(dest);
        ctx.notify(notify::GENERIC, "del", dest);
    }
    ctx.client.reply.int(maxlen as i64);
    Ok(())
}

// --- BITFIELD ---------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    Incrby,
}

/// One parsed BITFIELD operation.
struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

/// Parses a bitfield type: `i1`..`i64` or `u1`..`u63` (lowercase; the
/// width read as a C string, so it stops at a NUL).
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let err = || CmdError::msg(BITFIELD_TYPE_ERR);
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err()),
    };
    let rest = &arg[1..];
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    let bits = crate::util::numfmt::parse_i64(rest).ok_or_else(err)?;
    if bits < 1 || bits > if signed { 64 } else { 63 } {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

/// Reads `bits` bits (MSB first) at bit `offset`; bytes past the end of
/// `s` read as zero.
fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    let byte = usize::try_from(offset >> 3).unwrap_or(usize::MAX);
    let mut w: u128 = 0;
    for k in 0..9 {
        let b = byte
            .checked_add(k)
            .and_then(|i| s.get(i))
            .copied()
            .unwrap_or(0);
        w = (w << 8) | b as u128;
    }
    let shift = 72 - (offset & 7) as u32 - bits;
    ((w >> shift) & ((1u128 << bits) - 1)) as u64
}

/// Writes the low `bits` bits of `value` at bit `offset` (bytes past the
/// end of `s` are skipped; callers grow the string first).
fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    let byte = usize::try_from(offset >> 3).unwrap_or(usize::MAX);
    let shift = 72 - (offset & 7) as u32 - bits;
    let mask = ((1u128 << bits) - 1) << shift;
    let v = ((value as u128) << shift) & mask;
    for k in 0..9usize {
        let Some(b) = byte.checked_add(k).and_then(|i| s.get_mut(i)) else {
            break;
        };
        let sh = 8 * (8 - k as u32);
        let m = (mask >> sh) as u8;
        if m != 0 {
            *b = (*b & !m) | ((v >> sh) as u8 & m);
        }
    }
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits >= 64 {
        v as i64
    } else {
        ((v << (64 - bits)) as i64) >> (64 - bits)
    }
}

/// Adds `incr` to an unsigned field value with the overflow policy:
/// (overflowed, value to store). Mirrors Redis's arithmetic, including a
/// negative SET value counting as an overflow above the maximum.
fn unsigned_add(value: u64, incr: i64, bits: u32, ow: Overflow) -> (bool, u64) {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrapped = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        (true, if ow == Overflow::Sat { max } else { wrapped() })
    } else if incr < 0 && incr < min_incr {
        (true, if ow == Overflow::Sat { 0 } else { wrapped() })
    } else {
        (false, value.wrapping_add(incr as u64))
    }
}

/// The signed counterpart of `unsigned_add`. The increment limits are
/// computed with wrap-around exactly as Redis 7.0 does, so a SET of a value
/// far below the type's range saturates to the maximum, as there.
fn signed_add(value: i64, incr: i64, bits: u32, ow: Overflow) -> (bool, i64) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || sign_extend((value as u64).wrapping_add(incr as u64), bits);
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        (true, if ow == Overflow::Sat { max } else { wrapped() })
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        (true, if ow == Overflow::Sat { min } else { wrapped() })
    } else {
        (false, value.wrapping_add(incr))
    }
}

/// Parses BITFIELD's operations from `argv[2..]`, in Redis's order of
/// errors.
fn parse_fields(argv: &[&[u8]], max_len: i64) -> Result<Vec<Field>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let sub = argv[j];
        let op = if keyword(sub, "get") && remaining >= 2 {
            FieldOp::Get
        } else if keyword(sub, "set") && remaining >= 3 {
            FieldOp::Set
        } else if keyword(sub, "incrby") && remaining >= 3 {
            FieldOp::Incrby
        } else if keyword(sub, "overflow") && remaining >= 1 {
            let t = argv[j + 1];
            overflow = if keyword(t, "wrap") {
                Overflow::Wrap
            } else if keyword(t, "sat") {
                Overflow::Sat
            } else if keyword(t, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::msg("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(argv[j + 1])?;
        let offset = bit_offset(argv[j + 2], bits, max_len)?;
        let value = if op == FieldOp::Get {
            0
        } else {
            args::int(argv[j + 3])?
        };
        ops.push(Field {
            op,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL]
pub fn bitfield_command(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, false)
}

/// BITFIELD_RO key [GET type offset ...]
pub fn bitfield_ro_command(ctx: &mut Ctx) -> CmdResult {
    bitfield_generic(ctx, true)
}

fn bitfield_generic(ctx: &mut Ctx, read_only: bool) -> CmdResult {
    let key = ctx.argv[1];
    let ops = parse_fields(ctx.argv, ctx.srv.config.proto_max_bulk_len)?;
    let highest = ops
        .iter()
        .filter(|f| f.op != FieldOp::Get)
        .map(|f| f.offset + f.bits as u64 - 1)
        .max();
    let Some(highest) = highest else {
        // Only GETs: a read lookup; a missing key reads as zeros.
        let db = ctx.client.db;
        let found = ctx.srv.lookup_read(db, key);
        let s: Cow<[u8]> = match found {
            Some(v) => {
                expect_string(v)?;
                string_bytes(v)
            }
            None => Cow::Borrowed(&[]),
        };
        let reply = &mut ctx.client.reply;
        reply.array_len(ops.len());
        for f in &ops {
            let raw = get_field(&s, f.offset, f.bits);
            reply.int(if f.signed {
                sign_extend(raw, f.bits)
            } else {
                raw as i64
            });
        }
        return Ok(());
    };
    if read_only {
        return Err(CmdError::msg(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let (buf, grew) = string_for_bit_write(ctx, key, highest >> 3)?;
    let mut out: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes = 0u64;
    for f in &ops {
        let old_raw = get_field(buf, f.offset, f.bits);
        if f.op == FieldOp::Get {
            out.push(Some(if f.signed {
                sign_extend(old_raw, f.bits)
            } else {
                old_raw as i64
            }));
            continue;
        }
        let (overflow, new_raw, reply) = if f.signed {
            let old = sign_extend(old_raw, f.bits);
            if f.op == FieldOp::Incrby {
                let (o, new) = signed_add(old, f.value, f.bits, f.overflow);
                (o, new as u64, new)
            } else {
                let (o, new) = signed_add(f.value, 0, f.bits, f.overflow);
                (o, new as u64, old)
            }
        } else if f.op == FieldOp::Incrby {
            let (o, new) = unsigned_add(old_raw, f.value, f.bits, f.overflow);
            (o, new, new as i64)
        } else {
            let (o, new) = unsigned_add(f.value as u64, 0, f.bits, f.overflow);
            (o, new, old_raw as i64)
        };
        if overflow && f.overflow == Overflow::Fail {
            out.push(None);
            continue;
        }
        set_field(buf, f.offset, f.bits, new_raw);
        let mask = if f.bits == 64 {
            u64::MAX
        } else {
            (1u64 << f.bits) - 1
        };
        if grew || old_raw != new_raw & mask {
            changes += 1;
        }
        out.push(Some(reply));
    }
    if changes > 0 {
        ctx.key_modified(key);
        // Redis counts every changing operation in the dirty counter.
        ctx.srv.dirty += changes - 1;
    }
    let reply = &mut ctx.client.reply;
    reply.array_len(out.len());
    for r in out {
        match r {
            Some(n) => reply.int(n),
            None => reply.null(),
        }
    }
    if changes > 0 {
        ctx.notify(notify::STRING, "setbit", key);
    }
    Ok(())
}

// --- LCS --------------------------------------------------------------------

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
pub fn lcs_command(ctx: &mut Ctx) -> CmdResult {
    let argv = ctx.argv;
    let db = ctx.client.db;
    let type_err = || CmdError::msg("ERR The specified keys must contain string values");
    let a_ok = ctx.srv.lookup_read(db, argv[1]).map(|v| v.is_string());
    let b_ok = ctx.srv.lookup_read(db, argv[2]).map(|v| v.is_string());
    if a_ok == Some(false) || b_ok == Some(false) {
        return Err(type_err());
    }
    let (mut get_len, mut get_idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let opt = argv[j];
        let more = j + 1 < argv.len();
        if keyword(opt, "idx") {
            get_idx = true;
        } else if keyword(opt, "len") {
            get_len = true;
        } else if keyword(opt, "withmatchlen") {
            with_len = true;
        } else if keyword(opt, "minmatchlen") && more {
            min_len = args::int(argv[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if get_idx && get_len {
        return Err(CmdError::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let dbr = &ctx.srv.keyspace.dbs[db];
    let get = |k: &[u8]| -> Cow<[u8]> {
        match dbr.dict.find(k) {
            Some(i) => string_bytes(dbr.dict.value_at(i)),
            None => Cow::Borrowed(&[]),
        }
    };
    let (a, b) = (get(argv[1]), get(argv[2]));
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(CmdError::msg("ERR String too long for LCS"));
    }
    // The DP table is (len1+1)*(len2+1) u32 cells; like Redis, refuse a
    // table larger than proto-max-bulk-len bytes.
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > ctx.srv.config.proto_max_bulk_len.max(0) as u64 {
        return Err(CmdError::msg(LCS_TOO_BIG));
    }
    let row = b.len() + 1;
    if get_len {
        // Only the length: two rows are enough.
        let mut prev = vec![0u32; row];
        let mut cur = vec![0u32; row];
        for &ca in a.iter() {
            for jj in 1..row {
                cur[jj] = if ca == b[jj - 1] {
                    prev[jj - 1] + 1
                } else {
                    prev[jj].max(cur[jj - 1])
                };
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        let n = prev[row - 1];
        ctx.client.reply.int(n as i64);
        return Ok(());
    }
    let mut t: Vec<u32> = Vec::new();
    t.try_reserve_exact(cells as usize)
        .map_err(|_| CmdError::msg(LCS_ALLOC_FAILED))?;
    t.resize(cells as usize, 0);
    for i in 1..=a.len() {
        for jj in 1..row {
            t[i * row + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * row + jj - 1] + 1
            } else {
                t[(i - 1) * row + jj].max(t[i * row + jj - 1])
            };
        }
    }
    let total = t[a.len() * row + b.len()];
    // Walk back from the end, collecting the common string and the
    // matching ranges (emitted from the end of the strings, as Redis does).
    let mut lcs = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges: Vec<(usize, usize, usize, usize)> = Vec::new();
    let (mut i, mut jj) = (a.len(), b.len());
    let mut cur: Option<(usize, usize, usize, usize)> = None;
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            idx -= 1;
            lcs[idx] = a[i - 1];
            cur = match cur {
                None => Some((i - 1, i - 1, jj - 1, jj - 1)),
                Some((as_, ae, bs, be)) if as_ == i && bs == jj => Some((as_ - 1, ae, bs - 1, be)),
                Some(r) => {
                    emit = true;
                    Some(r)
                }
            };
            if let Some((as_, _, bs, _)) = cur {
                if as_ == 0 || bs == 0 {
                    emit = true;
                }
            }
            i -= 1;
            jj -= 1;
        } else {
            if t[(i - 1) * row + jj] > t[i * row + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if cur.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(r) = cur.take() {
                if min_len == 0 || (r.1 - r.0 + 1) as i64 >= min_len {
                    ranges.push(r);
                }
            }
        }
    }
    let reply = &mut ctx.client.reply;
    if !get_idx {
        reply.bulk(&lcs);
        return Ok(());
    }
    reply.map_len(2);
    reply.bulk(b"matches");
    reply.array_len(ranges.len());
    for (as_, ae, bs, be) in ranges {
        reply.array_len(if with_len { 3 } else { 2 });
        reply.array_len(2);
        reply.int(as_ as i64);
        reply.int(ae as i64);
        reply.array_len(2);
        reply.int(bs as i64);
        reply.int(be as i64);
        if with_len {
            reply.int((ae - as_ + 1) as i64);
        }
    }
    reply.bulk(b"len");
    reply.int(total as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::Harness;
    use crate::config::Config;
    use crate::types::{list::List, Value};

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";
    const BIT: &str = "-ERR bit is not an integer or out of range\r\n";
    const TYPE: &str = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
    const NIL: &str = "$-1\r\n";

    fn int(n: i64) -> String {
        format!(":{}\r\n", n)
    }

    fn ints(ns: &[i64]) -> String {
        let mut s = format!("*{}\r\n", ns.len());
        for n in ns {
            s.push_str(&int(*n));
        }
        s
    }

    fn arity(name: &str) -> String {
        format!("-ERR wrong number of arguments for '{}' command\r\n", name)
    }

    /// A harness with a list at "l" (for WRONGTYPE paths).
    fn harness() -> Harness {
        let mut h = Harness::new();
        h.srv.keyspace.dbs[0].insert_new(b"l", Value::List(Box::new(List::new())));
        h
    }

    fn get(h: &mut Harness, key: &str) -> Vec<u8> {
        h.run(&["get", key])
    }

    fn encoding(h: &mut Harness, key: &str) -> String {
        h.run_str(&["object", "encoding", key])
    }

    #[test]
    fn setbit_getbit() {
        let mut h = harness();
        assert_eq!(h.run_str(&["setbit", "k", "7", "1"]), int(0));
        assert_eq!(get(&mut h, "k"), b"$1\r\n\x01\r\n");
        assert_eq!(encoding(&mut h, "k"), "$3\r\nraw\r\n");
        assert_eq!(h.run_str(&["setbit", "k", "7", "0"]), int(1));
        assert_eq!(h.run_str(&["setbit", "k", "17", "1"]), int(0));
        assert_eq!(get(&mut h, "k"), b"$3\r\n\x00\x00\x40\r\n");
        assert_eq!(h.run_str(&["getbit", "k", "17"]), int(1));
        assert_eq!(h.run_str(&["getbit", "k", "16"]), int(0));
        assert_eq!(h.run_str(&["getbit", "k", "4294967295"]), int(0));
        assert_eq!(h.run_str(&["getbit", "nokey", "3"]), int(0));
        for bad in ["-1", "x", "4294967296", "", "01", " 1"] {
            assert_eq!(h.run_str(&["setbit", "k", bad, "1"]), OFFSET, "{bad}");
            assert_eq!(h.run_str(&["getbit", "k", bad]), OFFSET, "{bad}");
        }
        for bad in ["2", "-1", "x", "01", ""] {
            assert_eq!(h.run_str(&["setbit", "k", "1", bad]), BIT, "{bad}");
        }
        // Offset, then bit value, then the type.
        assert_eq!(h.run_str(&["setbit", "l", "x", "1"]), OFFSET);
        assert_eq!(h.run_str(&["setbit", "l", "0", "x"]), BIT);
        assert_eq!(h.run_str(&["setbit", "l", "0", "1"]), WRONGTYPE);
        assert_eq!(h.run_str(&["getbit", "l", "x"]), OFFSET);
        assert_eq!(h.run_str(&["getbit", "l", "0"]), WRONGTYPE);
        // Int-encoded values are read as their digits and become raw.
        h.run_str(&["set", "n", "12"]);
        assert_eq!(h.run_str(&["getbit", "n", "2"]), int(1));
        assert_eq!(encoding(&mut h, "n"), "$3\r\nint\r\n");
        assert_eq!(h.run_str(&["setbit", "n", "0", "0"]), int(0));
        assert_eq!(encoding(&mut h, "n"), "$3\r\nraw\r\n");
        assert_eq!(h.run_str(&["get", "n"]), "$2\r\n12\r\n");
        // The TTL survives.
        h.run_str(&["setex", "t", "100", "a"]);
        h.run_str(&["setbit", "t", "0", "1"]);
        assert_eq!(h.run_str(&["ttl", "t"]), int(100));
        assert_eq!(h.run_str(&["setbit", "k", "1"]), arity("setbit"));
        assert_eq!(h.run_str(&["getbit", "k"]), arity("getbit"));
    }

    #[test]
    fn setbit_respects_proto_max_bulk_len() {
        let mut h = Harness::with_config({
            let mut c = Config::default();
            c.proto_max_bulk_len = 10;
            c
        });
        assert_eq!(h.run_str(&["setbit", "k", "80", "1"]), OFFSET);
        assert_eq!(h.run_str(&["setbit", "k", "79", "1"]), int(0));
        assert_eq!(h.run_str(&["strlen", "k"]), int(10));
        assert_eq!(h.run_str(&["bitfield", "k", "get", "u8", "#10"]), OFFSET);
        assert_eq!(
            h.run_str(&["bitfield", "k", "set", "u8", "#9", "255"]),
            ints(&[1])
        );
        assert_eq!(
            h.run_str(&["bitfield", "k", "get", "u8", "#9"]),
            ints(&[255])
        );
    }

    #[test]
    fn setbit_dirty_only_on_change() {
        let mut h = Harness::new();
        let expect = |h: &mut Harness, cmd: &[&str], delta: u64| {
            let before = h.srv.dirty;
            h.run_str(cmd);
            assert_eq!(h.srv.dirty - before, delta, "{:?}", cmd);
        };
        expect(&mut h, &["setbit", "k", "7", "0"], 1);
        expect(&mut h, &["setbit", "k", "7", "0"], 0);
        expect(&mut h, &["setbit", "k", "7", "1"], 1);
        expect(&mut h, &["setbit", "k", "7", "1"], 0);
        expect(&mut h, &["setbit", "k", "100", "0"], 1);
        expect(&mut h, &["bitfield", "k", "get", "u8", "0"], 0);
        expect(
            &mut h,
            &[
                "bitfield", "k", "set", "u8", "0", "5", "set", "u8", "0", "6",
            ],
            2,
        );
        expect(
            &mut h,
            &[
                "bitfield", "k", "set", "u8", "0", "6", "incrby", "u8", "0", "0",
            ],
            0,
        );
        expect(
            &mut h,
            &[
                "bitfield", "n", "set", "u8", "0", "0", "set", "u8", "0", "0",
            ],
            2,
        );
        expect(
            &mut h,
            &[
                "bitfield", "f", "overflow", "fail", "incrby", "u2", "0", "9",
            ],
            0,
        );
        expect(&mut h, &["bitop", "and", "d", "nokey"], 0);
        expect(&mut h, &["bitop", "or", "d", "k"], 1);
        expect(&mut h, &["bitop", "and", "d", "nokey"], 1);
        expect(&mut h, &["lcs", "k", "n"], 0);
    }

    #[test]
    fn bitcount() {
        let mut h = harness();
        h.run_str(&["set", "s", "foobar"]);
        let cases: &[(&[&str], i64)] = &[
            (&[], 26),
            (&["0", "-1"], 26),
            (&["1", "1"], 6),
            (&["0", "-1", "bit"], 26),
            (&["0", "-1", "BYTE"], 26),
            (&["5", "30", "bit"], 17),
            (&["-10", "100", "bit"], 5),
            (&["-100", "-1"], 26),
            (&["-1", "-2"], 0),
            (&["-1", "-2", "foo"], 0),
            (&["3", "2", "bit"], 0),
            (&["100", "200"], 0),
            (&["9223372036854775807", "9223372036854775807", "bit"], 0),
            (&["-9223372036854775808", "-1", "bit"], 26),
        ];
        for (extra, want) in cases {
            let mut cmd = vec!["bitcount", "s"];
            cmd.extend_from_slice(extra);
            assert_eq!(h.run_str(&cmd), int(*want), "{:?}", extra);
        }
        assert_eq!(h.run_str(&["bitcount", "s", "1"]), SYNTAX);
        assert_eq!(h.run_str(&["bitcount", "s", "1", "2", "bit", "x"]), SYNTAX);
        assert_eq!(h.run_str(&["bitcount", "s", "0", "-1", "foo"]), SYNTAX);
        assert_eq!(h.run_str(&["bitcount", "s", "a", "1"]), NOT_INT);
        assert_eq!(h.run_str(&["bitcount", "s", "1", "a"]), NOT_INT);
        // A missing key is 0 before any argument is looked at (Redis 7.0).
        assert_eq!(h.run_str(&["bitcount", "nokey", "a"]), int(0));
        assert_eq!(h.run_str(&["bitcount", "l"]), WRONGTYPE);
        assert_eq!(h.run_str(&["bitcount", "l", "1"]), WRONGTYPE);
        h.run_str(&["set", "n", "12"]);
        assert_eq!(h.run_str(&["bitcount", "n"]), int(6));
        h.run_str(&["set", "e", ""]);
        assert_eq!(h.run_str(&["bitcount", "e", "0", "-1", "bit"]), int(0));
        assert_eq!(h.run_str(&["bitcount"]), arity("bitcount"));
    }

    #[test]
    fn bitpos() {
        let mut h = harness();
        h.run_bytes(&[b"set", b"z", b"\xff\xf0\x00"]);
        h.run_bytes(&[b"set", b"f", b"\xff\xff\xff"]);
        h.run_bytes(&[b"set", b"h", b"\x00\x00\x01\x00"]);
        h.run_str(&["set", "e", ""]);
        let cases: &[(&[&str], i64)] = &[
            (&["z", "0"], 12),
            (&["z", "1"], 0),
            (&["z", "0", "0", "-1"], 12),
            (&["f", "0"], 24),
            (&["f", "0", "1"], 24),
            (&["f", "0", "1", "-1"], -1),
            (&["f", "0", "0", "-1", "bit"], -1),
            (&["f", "1", "3", "12", "bit"], 3),
            (&["f", "0", "3", "12", "bit"], -1),
            (&["f", "1", "-3", "-1", "bit"], 21),
            (&["f", "0", "100"], -1),
            (&["f", "0", "-1", "-2"], -1),
            (&["h", "1"], 23),
            (&["h", "1", "3"], -1),
            (&["h", "1", "0", "22", "bit"], -1),
            (&["h", "1", "23", "23", "bit"], 23),
            (&["h", "0", "23", "23", "bit"], -1),
            (&["h", "0", "16", "23", "bit"], 16),
            (&["e", "0"], -1),
            (&["e", "1"], -1),
            (&["nokey", "0"], 0),
            (&["nokey", "1"], -1),
            (&["nokey", "1", "a", "b", "c", "d"], -1),
        ];
        for (extra, want) in cases {
            let mut cmd = vec!["bitpos"];
            cmd.extend_from_slice(extra);
            assert_eq!(h.run_str(&cmd), int(*want), "{:?}", extra);
        }
        let bit01 = "-ERR The bit argument must be 1 or 0.\r\n";
        assert_eq!(h.run_str(&["bitpos", "nokey", "2"]), bit01);
        assert_eq!(h.run_str(&["bitpos", "nokey", "x"]), NOT_INT);
        assert_eq!(h.run_str(&["bitpos", "f", "1", "a"]), NOT_INT);
        assert_eq!(h.run_str(&["bitpos", "f", "0", "0", "bit"]), NOT_INT);
        assert_eq!(h.run_str(&["bitpos", "f", "1", "0", "a", "foo"]), SYNTAX);
        assert_eq!(
            h.run_str(&["bitpos", "f", "1", "0", "1", "bit", "4"]),
            SYNTAX
        );
        assert_eq!(h.run_str(&["bitpos", "l", "1", "x"]), WRONGTYPE);
        assert_eq!(h.run_str(&["bitpos", "l", "2"]), bit01);
        h.run_str(&["set", "n", "12"]);
        assert_eq!(h.run_str(&["bitpos", "n", "1"]), int(2));
        assert_eq!(h.run_str(&["bitpos", "f"]), arity("bitpos"));
    }

    #[test]
    fn bitop() {
        let mut h = harness();
        h.run_bytes(&[b"set", b"a", b"\x0f\xff"]);
        h.run_bytes(&[b"set", b"b", b"\xf0"]);
        assert_eq!(h.run_str(&["bitop", "and", "d", "a", "b"]), int(2));
        assert_eq!(get(&mut h, "d"), b"$2\r\n\x00\x00\r\n");
        assert_eq!(encoding(&mut h, "d"), "$3\r\nraw\r\n");
        assert_eq!(h.run_str(&["bitop", "OR", "d", "a", "b"]), int(2));
        assert_eq!(get(&mut h, "d"), b"$2\r\n\xff\xff\r\n");
        assert_eq!(h.run_str(&["bitop", "xor", "d", "a", "b", "b"]), int(2));
        assert_eq!(get(&mut h, "d"), b"$2\r\n\x0f\xff\r\n");
        assert_eq!(h.run_str(&["bitop", "not", "d", "a"]), int(2));
        assert_eq!(get(&mut h, "d"), b"$2\r\n\xf0\x00\r\n");
        assert_eq!(h.run_str(&["bitop", "and", "d", "a", "nokey"]), int(2));
        assert_eq!(get(&mut h, "d"), b"$2\r\n\x00\x00\r\n");
        assert_eq!(h.run_str(&["bitop", "or", "d", "nokey", "a"]), int(2));
        assert_eq!(get(&mut h, "d"), b"$2\r\n\x0f\xff\r\n");
        // An empty result deletes the destination.
        assert_eq!(h.run_str(&["bitop", "or", "d", "x", "y"]), int(0));
        assert_eq!(h.run_str(&["exists", "d"]), int(0));
        // The destination's type and TTL do not matter; it is replaced.
        h.run_str(&["setex", "t", "100", "v"]);
        assert_eq!(h.run_str(&["bitop", "or", "t", "a"]), int(2));
        assert_eq!(h.run_str(&["ttl", "t"]), int(-1));
        assert_eq!(h.run_str(&["bitop", "and", "l2", "a"]), int(2));
        h.run_str(&["set", "n", "1"]);
        assert_eq!(h.run_str(&["bitop", "and", "d", "n"]), int(1));
        assert_eq!(h.run_str(&["get", "d"]), "$1\r\n1\r\n");
        assert_eq!(h.run_str(&["bitop", "foo", "d", "a"]), SYNTAX);
        assert_eq!(h.run_bytes(&[b"bitop", b"and\x00x", b"d", b"a"]), b":2\r\n");
        assert_eq!(
            h.run_str(&["bitop", "not", "d", "a", "b"]),
            "-ERR BITOP NOT must be called with a single source key.\r\n"
        );
        assert_eq!(h.run_str(&["bitop", "and", "d", "a", "l"]), WRONGTYPE);
        assert_eq!(h.run_str(&["bitop", "and", "l", "a"]), int(2));
        assert_eq!(h.run_str(&["bitop", "not", "d"]), arity("bitop"));
    }

    #[test]
    fn bitfield_parse_errors() {
        let mut h = harness();
        let cases: &[(&[&str], &str)] = &[
            (&["get", "u8"], SYNTAX),
            (&["get", "u8", "0", "extra"], SYNTAX),
            (&["foo", "u8", "0"], SYNTAX),
            (&["overflow"], SYNTAX),
            (&["set", "u8", "0"], SYNTAX),
            (&["get", "U8", "0"], TYPE),
            (&["get", "u64", "0"], TYPE),
            (&["get", "i65", "0"], TYPE),
            (&["get", "u0", "0"], TYPE),
            (&["get", "u08", "0"], TYPE),
            (&["get", "", "0"], TYPE),
            (&["get", "u8", "-1"], OFFSET),
            (&["get", "u8", "4294967296"], OFFSET),
            (&["get", "u8", "#536870912"], OFFSET),
            (&["get", "u8", "#-1"], OFFSET),
            (&["get", "u8", "#"], OFFSET),
            (&["get", "i2", "#4611686018427387904"], OFFSET),
            (
                &["overflow", "foo", "get", "u8", "0"],
                "-ERR Invalid OVERFLOW type specified\r\n",
            ),
            (&["set", "u8", "0", "x"], NOT_INT),
            (&["incrby", "u8", "0", "x"], NOT_INT),
            (&["set", "u8", "0", "1", "get", "u8", "0", "foo"], SYNTAX),
        ];
        for (extra, want) in cases {
            let mut cmd = vec!["bitfield", "k"];
            cmd.extend_from_slice(extra);
            assert_eq!(h.run_str(&cmd), *want, "{:?}", extra);
        }
        assert_eq!(h.run_str(&["exists", "k"]), int(0), "errors write nothing");
        assert_eq!(h.run_str(&["bitfield", "k"]), "*0\r\n");
        assert_eq!(h.run_str(&["bitfield", "k", "overflow", "wrap"]), "*0\r\n");
        // `#N` is N * width, multiplied with wrap-around like Redis.
        assert_eq!(
            h.run_str(&["bitfield", "k", "get", "i4", "#4611686018427387904"]),
            ints(&[0])
        );
        assert_eq!(
            h.run_bytes(&[b"bitfield", b"k", b"get\x00x", b"u8\x00z", b"0"]),
            b"*1\r\n:0\r\n"
        );
        assert_eq!(h.run_str(&["bitfield", "l", "get", "u8", "0"]), WRONGTYPE);
        assert_eq!(
            h.run_str(&["bitfield", "l", "set", "u8", "0", "1"]),
            WRONGTYPE
        );
        assert_eq!(h.run_str(&["bitfield", "l", "set", "u8", "x", "1"]), OFFSET);
        assert_eq!(h.run_str(&["bitfield"]), arity("bitfield"));
    }

    #[test]
    fn bitfield_arithmetic() {
        let mut h = Harness::new();
        let mut bf = |args: &[&str]| {
            let mut cmd = vec!["bitfield", "k"];
            cmd.extend_from_slice(args);
            h.run_str(&cmd)
        };
        assert_eq!(
            bf(&["set", "u8", "0", "300", "get", "u8", "0"]),
            ints(&[0, 44])
        );
        assert_eq!(
            bf(&["overflow", "fail", "set", "u8", "0", "256", "get", "u8", "0"]),
            format!("*2\r\n{NIL}:44\r\n")
        );
        // A negative SET value saturates unsigned fields to their maximum.
        assert_eq!(
            bf(&["overflow", "sat", "set", "u8", "0", "-1", "get", "u8", "0"]),
            ints(&[44, 255])
        );
        assert_eq!(
            bf(&["overflow", "wrap", "set", "u8", "0", "-1"]),
            ints(&[255])
        );
        // Redis's wrapped limit makes a far-negative SET saturate to max.
        assert_eq!(
            bf(&[
                "overflow",
                "sat",
                "set",
                "i8",
                "0",
                "-9223372036854775808",
                "get",
                "i8",
                "0"
            ]),
            ints(&[-1, 127])
        );
        assert_eq!(
            bf(&[
                "overflow",
                "sat",
                "set",
                "i8",
                "0",
                "-9223372036854775680",
                "get",
                "i8",
                "0"
            ]),
            ints(&[127, -128])
        );
        assert_eq!(
            bf(&["overflow", "sat", "set", "i8", "0", "128", "get", "i8", "0"]),
            ints(&[-128, 127])
        );
        assert_eq!(
            bf(&["overflow", "wrap", "set", "i8", "0", "128", "get", "i8", "0"]),
            ints(&[127, -128])
        );
        assert_eq!(
            bf(&[
                "set",
                "i64",
                "0",
                "-9223372036854775808",
                "get",
                "i64",
                "0",
                "get",
                "u63",
                "0",
                "get",
                "u63",
                "1"
            ]),
            ints(&[i64::MIN, i64::MIN, 1 << 62, 0])
        );
        assert_eq!(
            bf(&["overflow", "sat", "incrby", "i64", "0", "-1"]),
            ints(&[i64::MIN])
        );
        assert_eq!(
            bf(&["overflow", "wrap", "incrby", "i64", "0", "-1"]),
            ints(&[i64::MAX])
        );
        assert_eq!(
            bf(&["overflow", "fail", "incrby", "i64", "0", "1", "incrby", "i64", "0", "-1"]),
            format!("*2\r\n{NIL}:{}\r\n", i64::MAX - 1)
        );
        assert_eq!(
            bf(&[
                "set",
                "u63",
                "0",
                "9223372036854775807",
                "overflow",
                "sat",
                "incrby",
                "u63",
                "0",
                "1",
                "overflow",
                "wrap",
                "incrby",
                "u63",
                "0",
                "1",
                "overflow",
                "fail",
                "incrby",
                "u63",
                "0",
                "-1"
            ]),
            format!(
                "*4\r\n:{}\r\n:{}\r\n:0\r\n{NIL}",
                (1i64 << 62) - 1,
                i64::MAX
            )
        );
        assert_eq!(
            bf(&[
                "overflow",
                "sat",
                "incrby",
                "u8",
                "0",
                "9223372036854775807",
                "incrby",
                "i8",
                "8",
                "9223372036854775807",
                "incrby",
                "i8",
                "8",
                "-9223372036854775808",
                "incrby",
                "u8",
                "0",
                "-9223372036854775808"
            ]),
            ints(&[255, 127, -128, 0])
        );
        assert_eq!(
            bf(&[
                "overflow", "wrap", "set", "u16", "0", "0", "incrby", "u3", "3", "100", "incrby",
                "i5", "1", "-100", "get", "u16", "0"
            ]),
            ints(&[128, 4, 0, 0])
        );
        assert_eq!(
            bf(&[
                "get", "u1", "0", "get", "i1", "0", "set", "i1", "0", "1", "set", "i1", "0", "-1",
                "set", "i1", "0", "-2"
            ]),
            ints(&[0, 0, 0, -1, -1])
        );
        assert_eq!(encoding_of(&mut h), "$3\r\nraw\r\n");
        // Unaligned fields across bytes; #N offsets.
        assert_eq!(
            h.run_str(&[
                "bitfield", "k3", "set", "u8", "#0", "1", "set", "u8", "#1", "2", "get", "u16",
                "#0", "incrby", "u4", "#5", "3"
            ]),
            ints(&[0, 0, 258, 3])
        );
        assert_eq!(h.run(&["get", "k3"]), b"$3\r\n\x01\x02\x03\r\n");
        // A FAIL still creates the key, zero-padded to the field.
        assert_eq!(
            h.run_str(&["bitfield", "k2", "overflow", "fail", "incrby", "u2", "102", "10"]),
            format!("*1\r\n{NIL}")
        );
        assert_eq!(h.run_str(&["strlen", "k2"]), int(13));
        // Int-encoded values: GET keeps the encoding, SET makes it raw.
        h.run_str(&["set", "n", "255"]);
        assert_eq!(h.run_str(&["bitfield", "n", "get", "u8", "0"]), ints(&[50]));
        assert_eq!(h.run_str(&["object", "encoding", "n"]), "$3\r\nint\r\n");
        assert_eq!(
            h.run_str(&["bitfield", "n", "set", "u8", "0", "49"]),
            ints(&[50])
        );
        assert_eq!(h.run_str(&["get", "n"]), "$3\r\n155\r\n");
    }

    fn encoding_of(h: &mut Harness) -> String {
        h.run_str(&["object", "encoding", "k"])
    }

    #[test]
    fn bitfield_ro() {
        let mut h = harness();
        h.run_str(&["set", "k", "ab"]);
        assert_eq!(
            h.run_str(&["bitfield_ro", "k", "get", "u8", "0", "get", "i4", "12"]),
            ints(&[97, 2])
        );
        assert_eq!(
            h.run_str(&["bitfield_ro", "k", "overflow", "fail", "get", "u8", "0"]),
            ints(&[97])
        );
        assert_eq!(
            h.run_str(&["bitfield_ro", "nokey", "get", "u4", "#100000"]),
            ints(&[0])
        );
        let ro = "-ERR BITFIELD_RO only supports the GET subcommand\r\n";
        assert_eq!(h.run_str(&["bitfield_ro", "k", "set", "u8", "0", "1"]), ro);
        assert_eq!(
            h.run_str(&["bitfield_ro", "k", "incrby", "u8", "0", "1"]),
            ro
        );
        assert_eq!(
            h.run_str(&["bitfield_ro", "k", "get", "u8", "0", "set", "u8", "x", "1"]),
            OFFSET
        );
        assert_eq!(
            h.run_str(&["bitfield_ro", "k", "overflow", "bad"]),
            "-ERR Invalid OVERFLOW type specified\r\n"
        );
        assert_eq!(
            h.run_str(&["bitfield_ro", "l", "get", "u8", "0"]),
            WRONGTYPE
        );
        assert_eq!(h.run_str(&["bitfield_ro", "k", "foo"]), SYNTAX);
        assert_eq!(h.run_str(&["get", "k"]), "$2\r\nab\r\n");
        assert_eq!(h.run_str(&["bitfield_ro"]), arity("bitfield_ro"));
    }

    #[test]
    fn lcs() {
        let mut h = harness();
        h.run_str(&["set", "a", "ohmytext"]);
        h.run_str(&["set", "b", "mynewtext"]);
        assert_eq!(h.run_str(&["lcs", "a", "b"]), "$6\r\nmytext\r\n");
        assert_eq!(h.run_str(&["lcs", "a", "b", "len"]), int(6));
        assert_eq!(h.run_str(&["lcs", "a", "b", "LEN", "len"]), int(6));
        assert_eq!(
            h.run_str(&["lcs", "a", "b", "idx"]),
            "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            h.run_str(&["lcs", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"]),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            h.run_str(&["lcs", "a", "b", "withmatchlen", "minmatchlen", "-5"]),
            "$6\r\nmytext\r\n"
        );
        let both = "-ERR If you want both the length and indexes, please just use IDX.\r\n";
        assert_eq!(h.run_str(&["lcs", "a", "b", "len", "idx"]), both);
        assert_eq!(h.run_str(&["lcs", "a", "b", "minmatchlen"]), SYNTAX);
        assert_eq!(h.run_str(&["lcs", "a", "b", "minmatchlen", "x"]), NOT_INT);
        assert_eq!(h.run_str(&["lcs", "a", "b", "foo"]), SYNTAX);
        assert_eq!(h.run_str(&["lcs", "a", "nokey"]), "$0\r\n\r\n");
        assert_eq!(
            h.run_str(&["lcs", "x", "y", "idx"]),
            "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
        );
        let not_str = "-ERR The specified keys must contain string values\r\n";
        assert_eq!(h.run_str(&["lcs", "a", "l"]), not_str);
        assert_eq!(h.run_str(&["lcs", "l", "a", "foo"]), not_str);
        h.run_str(&["set", "x", "abcabcabc"]);
        h.run_str(&["set", "y", "cbacbacba"]);
        assert_eq!(h.run_str(&["lcs", "x", "y"]), "$5\r\ncbabc\r\n");
        assert_eq!(h.run_str(&["lcs", "y", "x"]), "$5\r\nabcba\r\n");
        h.run_str(&["set", "n1", "12345"]);
        h.run_str(&["set", "n2", "2345"]);
        assert_eq!(h.run_str(&["lcs", "n1", "n2"]), "$4\r\n2345\r\n");
        assert_eq!(h.run_str(&["lcs", "a"]), arity("lcs"));
        // RESP3: IDX is a map.
        h.client.reply.resp3 = true;
        assert_eq!(
            h.run_str(&["lcs", "a", "b", "idx", "minmatchlen", "4"]),
            "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"
        );
    }

    #[test]
    fn lcs_table_is_capped_by_proto_max_bulk_len() {
        let mut h = Harness::with_config({
            let mut c = Config::default();
            c.proto_max_bulk_len = 1024 * 1024;
            c
        });
        h.run_str(&["set", "a", &"a".repeat(511)]);
        h.run_str(&["set", "b", &"ab".repeat(256)[..511]]);
        assert_eq!(h.run_str(&["lcs", "a", "b", "len"]), int(256));
        h.run_str(&["append", "a", "a"]);
        let too_big =
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n";
        assert_eq!(h.run_str(&["lcs", "a", "b", "len"]), too_big);
        assert_eq!(h.run_str(&["lcs", "b", "a", "idx"]), too_big);
        assert_eq!(h.run_str(&["lcs", "a", "b", "foo"]), SYNTAX);
        assert_eq!(h.run_str(&["lcs", "a", "nokey"]), "$0\r\n\r\n");
    }
}
