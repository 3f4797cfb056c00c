//! Exact software emulation of the x86-64 C `long double` (x87 80-bit
//! extended: 64-bit mantissa, 15-bit exponent) for what INCRBYFLOAT needs:
//! parsing a string the way Redis's `string2ld` does (glibc `strtold` with
//! correct rounding, whole string consumed, overflow and underflow-to-zero
//! refused), one correctly rounded addition, and Redis's human-friendly
//! `%.17Lf` output with trailing zeros stripped. All rounding is
//! round-half-even, computed exactly with a small big-integer type.
//!
//! Redis counterpart: `string2ld` and `ld2string(LD_STR_HUMAN)` in `util.c`
//! (plus the C library's `strtold` and `printf("%.17Lf")` they rely on).

use std::cmp::Ordering;

/// Longest string Redis accepts as a long double (`MAX_LONG_DOUBLE_CHARS`
/// minus the terminator).
pub const MAX_CHARS: usize = 5 * 1024 - 1;

/// Largest exponent of the top mantissa bit of a finite value.
const MAX_TOP_EXP: i64 = 16383;
/// Exponent of the least significant mantissa bit of the smallest values
/// (denormals and the smallest normal binade): 2^-16445 is the smallest
/// positive long double.
const MIN_QUANTUM_EXP: i64 = -16445;
/// Mantissa width.
const MANT_BITS: i64 = 64;

/// A long double value: finite (`mant * 2^exp`, sign apart) or infinite.
/// NaN is never represented: every operation that would produce it reports
/// it instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDouble {
    /// `(-1)^neg * mant * 2^exp`; zero when `mant == 0`.
    Finite { neg: bool, mant: u64, exp: i32 },
    /// Positive or negative infinity.
    Inf { neg: bool },
}

impl LongDouble {
    /// Positive zero.
    pub const ZERO: LongDouble = LongDouble::Finite {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// The exact value of an i64 (every i64 fits a 64-bit mantissa).
    pub fn from_i64(n: i64) -> Self {
        LongDouble::Finite {
            neg: n < 0,
            mant: n.unsigned_abs(),
            exp: 0,
        }
    }

    /// Whether the value is finite.
    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Parses `s` as Redis's `string2ld` does: 1 to `MAX_CHARS` bytes, no
    /// leading space, the whole string a `strtold` number (decimal, hex
    /// `0x..p..`, `inf`/`infinity`), NaN refused, and refused when the value
    /// overflows or a non-zero number underflows to zero (ERANGE).
    pub fn parse(s: &[u8]) -> Option<Self> {
        if s.is_empty() || s.len() > MAX_CHARS {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Inf { neg });
        }
        if body.len() >= 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            return parse_hex(&body[2..], neg);
        }
        parse_decimal(body, neg)
    }

    /// The correctly rounded sum; None when it is NaN (inf + -inf).
    pub fn checked_add(self, other: Self) -> Option<Self> {
        use LongDouble::*;
        match (self, other) {
            (Inf { neg: a }, Inf { neg: b }) if a != b => None,
            (Inf { neg }, _) | (_, Inf { neg }) => Some(Inf { neg }),
            (
                Finite {
                    neg: an,
                    mant: am,
                    exp: ae,
                },
                Finite {
                    neg: bn,
                    mant: bm,
                    exp: be,
                },
            ) => {
                if am == 0 {
                    return Some(other);
                }
                if bm == 0 {
                    return Some(self);
                }
                let emin = ae.min(be);
                let mut a = Big::from_u64(am);
                a.shl_assign((ae - emin) as usize);
                let mut b = Big::from_u64(bm);
                b.shl_assign((be - emin) as usize);
                if an == bn {
                    a.add_assign(&b);
                    return Some(round(&a, emin as i64, false, an));
                }
                match a.cmp(&b) {
                    Ordering::Equal => Some(LongDouble::ZERO),
                    Ordering::Greater => {
                        a.sub_assign(&b);
                        Some(round(&a, emin as i64, false, an))
                    }
                    Ordering::Less => {
                        b.sub_assign(&a);
                        Some(round(&b, emin as i64, false, bn))
                    }
                }
            }
        }
    }

    /// Redis's human-friendly form: `%.17Lf` with trailing zeros (and a
    /// trailing dot) removed, `-0` written `0`, infinities as `inf`/`-inf`.
    pub fn to_human(&self) -> Vec<u8> {
        let (neg, mant, exp) = match *self {
            LongDouble::Inf { neg } => {
                return if neg {
                    b"-inf".to_vec()
                } else {
                    b"inf".to_vec()
                };
            }
            LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
        };
        let mut out = Vec::new();
        if neg {
            out.push(b'-');
        }
        if exp >= 0 {
            // An integer: the 17 fractional digits are all zeros.
            let mut v = Big::from_u64(mant);
            v.shl_assign(exp as usize);
            out.extend_from_slice(&v.to_decimal());
        } else {
            // value * 10^17 rounded half-even to an integer; the product of
            // a 64-bit mantissa and 10^17 fits in 121 bits.
            const SCALE: u128 = 100_000_000_000_000_000;
            let p = mant as u128 * SCALE;
            let s = exp.unsigned_abs();
            let n = if s >= 122 {
                0
            } else {
                let q = p >> s;
                let rem = p & ((1u128 << s) - 1);
                let half = 1u128 << (s - 1);
                if rem > half || (rem == half && q & 1 == 1) {
                    q + 1
                } else {
                    q
                }
            };
            let int_part = n / SCALE;
            let frac = n % SCALE;
            out.extend_from_slice(int_part.to_string().as_bytes());
            if frac != 0 {
                let digits = format!("{:017}", frac);
                out.push(b'.');
                out.extend_from_slice(digits.trim_end_matches('0').as_bytes());
            }
        }
        if out == b"-0" {
            out.remove(0);
        }
        out
    }
}

/// Parses the part after the sign of a decimal number; the whole input must
/// be consumed.
fn parse_decimal(s: &[u8], neg: bool) -> Option<LongDouble> {
    let mut i = 0;
    // Significant digits, leading zeros dropped.
    let mut digits: Vec<u8> = Vec::new();
    let mut seen_digit = false;
    let mut frac_digits: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !digits.is_empty() || s[i] != b'0' {
            digits.push(s[i] - b'0');
        }
        seen_digit = true;
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            if !digits.is_empty() || s[i] != b'0' {
                digits.push(s[i] - b'0');
            }
            frac_digits += 1;
            seen_digit = true;
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    let mut exp10: i64 = 0;
    if i < s.len() && (s[i] | 0x20) == b'e' {
        exp10 = parse_exponent(&s[i + 1..])?;
        i = s.len();
    }
    if i != s.len() {
        return None;
    }
    let mut dec_exp = exp10 - frac_digits;
    while digits.last() == Some(&0) {
        digits.pop();
        dec_exp += 1;
    }
    if digits.is_empty() {
        return Some(LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    let nd = digits.len() as i64;
    // value is in [10^(nd-1+dec_exp), 10^(nd+dec_exp)): beyond the largest
    // long double (~1.19e4932) or below half the smallest (~1.82e-4951).
    if nd - 1 + dec_exp >= 4933 || nd + dec_exp <= -4952 {
        return None;
    }
    let mut d = Big::from_decimal_digits(&digits);
    let r = if dec_exp >= 0 {
        d.mul_pow10(dec_exp as usize);
        round(&d, 0, false, neg)
    } else {
        let mut den = Big::from_u64(1);
        den.mul_pow10((-dec_exp) as usize);
        // Scale so the quotient has 67..68 bits: 64 kept, the rest to round.
        let s = 67 - (d.bit_len() as i64 - den.bit_len() as i64);
        if s > 0 {
            d.shl_assign(s as usize);
        } else {
            den.shl_assign((-s) as usize);
        }
        let (q, inexact) = divide_small_quotient(d, den);
        round(&Big::from_u128(q), -s, inexact, neg)
    };
    finite_nonzero(r)
}

/// Parses the part after `0x` of a hexadecimal float.
fn parse_hex(s: &[u8], neg: bool) -> Option<LongDouble> {
    let mut i = 0;
    let mut mag = Big::default();
    let mut seen_digit = false;
    let mut frac_digits: i64 = 0;
    let hexval = |c: u8| (c as char).to_digit(16);
    while let Some(v) = s.get(i).and_then(|&c| hexval(c)) {
        mag.mul_small_add(16, v);
        seen_digit = true;
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while let Some(v) = s.get(i).and_then(|&c| hexval(c)) {
            mag.mul_small_add(16, v);
            frac_digits += 1;
            seen_digit = true;
            i += 1;
        }
    }
    if !seen_digit {
        return None;
    }
    let mut exp2: i64 = 0;
    if i < s.len() && (s[i] | 0x20) == b'p' {
        exp2 = parse_exponent(&s[i + 1..])?;
        i = s.len();
    }
    if i != s.len() {
        return None;
    }
    if mag.is_zero() {
        return Some(LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        });
    }
    finite_nonzero(round(&mag, exp2 - 4 * frac_digits, false, neg))
}

/// Refuses what `string2ld` refuses after a successful `strtold`: overflow
/// to infinity and a non-zero number rounded to zero.
fn finite_nonzero(r: LongDouble) -> Option<LongDouble> {
    match r {
        LongDouble::Finite { mant, .. } if mant != 0 => Some(r),
        _ => None,
    }
}

/// An exponent: optional sign and at least one digit, all of `s`. Saturates
/// far beyond any meaningful magnitude.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        v = (v * 10 + (c - b'0') as i64).min(1_000_000_000);
    }
    Some(if neg { -v } else { v })
}

/// Rounds `mag * 2^exp2` (plus a little more when `sticky`) half-even to a
/// long double, with denormals and overflow to infinity.
fn round(mag: &Big, exp2: i64, sticky: bool, neg: bool) -> LongDouble {
    if mag.is_zero() {
        return LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        };
    }
    let len = mag.bit_len() as i64;
    let top = exp2 + len - 1;
    if top > MAX_TOP_EXP {
        return LongDouble::Inf { neg };
    }
    let mut quantum = (top - (MANT_BITS - 1)).max(MIN_QUANTUM_EXP);
    let drop = quantum - exp2;
    let mant = if drop <= 0 {
        mag.bits_u64(0) << (-drop)
    } else {
        let kept = mag.bits_u64(drop as u64);
        let half = mag.bit(drop as u64 - 1);
        let rest = sticky || mag.any_below(drop as u64 - 1);
        if half && (rest || kept & 1 == 1) {
            match kept.checked_add(1) {
                Some(m) => m,
                None => {
                    quantum += 1;
                    1 << 63
                }
            }
        } else {
            kept
        }
    };
    if mant != 0 && quantum + (63 - mant.leading_zeros() as i64) > MAX_TOP_EXP {
        return LongDouble::Inf { neg };
    }
    LongDouble::Finite {
        neg,
        mant,
        exp: quantum as i32,
    }
}

/// `num / den` for a quotient known to be below 2^69, and whether the
/// division left a remainder.
fn divide_small_quotient(mut num: Big, mut den: Big) -> (u128, bool) {
    const QBITS: u32 = 69;
    den.shl_assign(QBITS as usize - 1);
    let mut q: u128 = 0;
    for i in (0..QBITS).rev() {
        if num.cmp(&den) != Ordering::Less {
            num.sub_assign(&den);
            q |= 1u128 << i;
        }
        den.shr1_assign();
    }
    (q, !num.is_zero())
}

/// A non-negative big integer: little-endian 32-bit limbs, no high zero
/// limbs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Self {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn from_u128(v: u128) -> Self {
        let mut b = Big((0..4).map(|i| (v >> (32 * i)) as u32).collect());
        b.trim();
        b
    }

    /// From decimal digit values (0..=9), most significant first.
    fn from_decimal_digits(digits: &[u8]) -> Self {
        let mut b = Big::default();
        let first = digits.len() % 9;
        let (head, tail) = digits.split_at(first);
        let chunk_value = |c: &[u8]| c.iter().fold(0u32, |acc, &d| acc * 10 + d as u32);
        if !head.is_empty() {
            b.mul_small_add(1, chunk_value(head));
        }
        for chunk in tail.chunks(9) {
            b.mul_small_add(1_000_000_000, chunk_value(chunk));
        }
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => 32 * (self.0.len() as u64 - 1) + (32 - top.leading_zeros() as u64),
        }
    }

    fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.0.get(limb).is_some_and(|&w| (w >> (i % 32)) & 1 == 1)
    }

    /// Whether any bit below position `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let full = ((i / 32) as usize).min(self.0.len());
        if self.0[..full].iter().any(|&w| w != 0) {
            return true;
        }
        let rem = i % 32;
        rem != 0
            && self
                .0
                .get(full)
                .is_some_and(|&w| w & ((1u32 << rem) - 1) != 0)
    }

    /// The 64 bits starting at bit `lo`.
    fn bits_u64(&self, lo: u64) -> u64 {
        let mut v: u64 = 0;
        for k in 0..3u64 {
            let limb = lo / 32 + k;
            let Some(&w) = self.0.get(limb as usize) else {
                break;
            };
            let pos = (limb * 32) as i64 - lo as i64;
            if pos >= 64 {
                break;
            }
            v |= if pos >= 0 {
                (w as u64) << pos
            } else {
                (w as u64) >> (-pos)
            };
        }
        v
    }

    /// self = self * m + a.
    fn mul_small_add(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for w in &mut self.0 {
            let t = *w as u64 * m as u64 + carry;
            *w = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut k: usize) {
        while k >= 9 {
            self.mul_small_add(1_000_000_000, 0);
            k -= 9;
        }
        if k > 0 {
            self.mul_small_add(10u32.pow(k as u32), 0);
        }
    }

    fn shl_assign(&mut self, n: usize) {
        if self.is_zero() {
            return;
        }
        let limbs = n / 32;
        let bits = n % 32;
        if bits != 0 {
            let mut carry = 0u32;
            for w in &mut self.0 {
                let nw = (*w << bits) | carry;
                carry = *w >> (32 - bits);
                *w = nw;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if limbs != 0 {
            self.0.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn shr1_assign(&mut self) {
        let mut carry = 0u32;
        for w in self.0.iter_mut().rev() {
            let nw = (*w >> 1) | carry;
            carry = *w << 31;
            *w = nw;
        }
        self.trim();
    }

    fn add_assign(&mut self, other: &Big) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, w) in self.0.iter_mut().enumerate() {
            let t = *w as u64 + other.0.get(i).copied().unwrap_or(0) as u64 + carry;
            *w = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// self -= other; requires self >= other.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, w) in self.0.iter_mut().enumerate() {
            let mut t = *w as i64 - other.0.get(i).copied().unwrap_or(0) as i64 - borrow;
            borrow = 0;
            if t < 0 {
                t += 1 << 32;
                borrow = 1;
            }
            *w = t as u32;
        }
        self.trim();
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// Decimal digits (ASCII), most significant first; "0" for zero.
    fn to_decimal(&self) -> Vec<u8> {
        let mut v = self.0.clone();
        let mut chunks: Vec<u32> = Vec::new();
        while !v.is_empty() {
            let mut rem = 0u64;
            for w in v.iter_mut().rev() {
                let cur = (rem << 32) | *w as u64;
                *w = (cur / 1_000_000_000) as u32;
                rem = cur % 1_000_000_000;
            }
            while v.last() == Some(&0) {
                v.pop();
            }
            chunks.push(rem as u32);
        }
        let mut out = Vec::with_capacity(chunks.len() * 9 + 1);
        match chunks.split_last() {
            None => out.push(b'0'),
            Some((top, rest)) => {
                out.extend_from_slice(top.to_string().as_bytes());
                for c in rest.iter().rev() {
                    out.extend_from_slice(format!("{:09}", c).as_bytes());
                }
            }
        }
        out
    }
}

/// INCRBYFLOAT's arithmetic: parses the current value (None = missing key,
/// which counts as 0) and the increment, adds them, and returns the text to
/// store and reply with.
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let cur = match current {
        None => LongDouble::ZERO,
        Some(s) => LongDouble::parse(s).ok_or(IncrFloatError::NotFloat)?,
    };
    let inc = LongDouble::parse(incr).ok_or(IncrFloatError::NotFloat)?;
    match cur.checked_add(inc) {
        Some(sum) if sum.is_finite() => Ok(sum.to_human()),
        _ => Err(IncrFloatError::NanOrInf),
    }
}

/// Why INCRBYFLOAT failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrFloatError {
    /// An operand is not a valid long double.
    NotFloat,
    /// The sum is NaN or infinite.
    NanOrInf,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        match incr_by_float(Some(a.as_bytes()), b.as_bytes()) {
            Ok(v) => String::from_utf8(v).unwrap(),
            Err(e) => format!("{:?}", e),
        }
    }

    fn one(a: &str) -> String {
        match incr_by_float(None, a.as_bytes()) {
            Ok(v) => String::from_utf8(v).unwrap(),
            Err(e) => format!("{:?}", e),
        }
    }

    #[test]
    fn sums_match_redis() {
        // Expected values come from Redis 7.0.15 on x86-64.
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("0.1", "1e18"), "1000000000000000000.125");
        assert_eq!(sum("17179869184.5", "0.25"), "17179869184.75");
        assert_eq!(sum("9223372036854775807", "1"), "9223372036854775808");
        assert_eq!(sum("1", ".5"), "1.5");
        assert_eq!(sum("1.5", "+1"), "2.5");
        assert_eq!(sum("16", "0x1p-3"), "16.125");
        assert_eq!(sum("1e400", "1").len(), 401);
        assert_eq!(sum("inf", "-inf"), "NanOrInf");
        assert_eq!(sum("1", "-1"), "0");
    }

    #[test]
    fn single_values_match_redis() {
        assert_eq!(one("3.0e3"), "3000");
        assert_eq!(one("1e-20"), "0");
        assert_eq!(one("-1e-20"), "0");
        assert_eq!(one("-0"), "0");
        assert_eq!(one("1."), "1");
        assert_eq!(one("0x10"), "16");
        assert_eq!(one("12345678901234567890"), "12345678901234567890");
        assert_eq!(one("0.000003814697265625"), "0.00000381469726562");
        assert_eq!(one("3.6e-4951"), "0");
        assert_eq!(one("0e99999999999999999999"), "0");
        let big = one("1e4000");
        assert_eq!(big.len(), 4000);
        assert!(big.starts_with("9999999999999999999965463873099623784932"));
        let max = one("1.18973149535723176502e+4932");
        assert_eq!(max.len(), 4933);
        assert!(max.starts_with("118973149535723176502126385303097020516906"));
    }

    #[test]
    fn refused_like_string2ld() {
        for bad in [
            "1e-5000",
            "1e5000",
            "1.18973149535723176509e+4932",
            "1e-4951",
            "1.8e-4951",
            "1e-99999999999999999999",
            "nan",
            "-nan",
            " 1",
            "1 ",
            ".",
            "1e",
            "1e+",
            "0x",
            "0x.p1",
            "0x1p",
            "",
            "abc",
            "1\u{0}",
            "infinit",
            "++1",
        ] {
            assert_eq!(one(bad), "NotFloat", "{:?}", bad);
        }
        for inf in ["inf", "-inf", "INF", "infinity", "+Infinity"] {
            assert_eq!(one(inf), "NanOrInf", "{:?}", inf);
        }
        assert_eq!(one(&"1".repeat(MAX_CHARS + 1)), "NotFloat");
        assert_eq!(one(&format!("1{}", "0".repeat(MAX_CHARS - 1))), "NotFloat");
        let long_ok = format!("1.{}", "0".repeat(MAX_CHARS - 2));
        assert_eq!(long_ok.len(), MAX_CHARS);
        assert_eq!(one(&long_ok), "1");
        assert_eq!(one(&format!("{}0", long_ok)), "NotFloat");
    }

    #[test]
    fn big_helpers() {
        let b = Big::from_decimal_digits(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]);
        assert_eq!(b.to_decimal(), b"123456789012");
        let mut c = Big::from_u64(1);
        c.mul_pow10(30);
        assert_eq!(c.to_decimal(), format!("1{}", "0".repeat(30)).as_bytes());
        assert_eq!(Big::default().to_decimal(), b"0");
        let mut d = Big::from_u64(u64::MAX);
        d.shl_assign(37);
        assert_eq!(d.bits_u64(37), u64::MAX);
        assert!(!d.any_below(37));
        assert!(d.any_below(38));
    }
}
