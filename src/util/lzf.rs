//! LZF, the compression of strings in RDB files (`rdbcompression yes`):
//! decompression, where every length and back-reference comes from the
//! file and is checked (nothing here trusts its input), and a compressor
//! producing the same format (literal runs of up to 32 bytes,
//! back-references of 3..=264 bytes within 8 KiB).
//!
//! Redis counterpart: `lzf_d.c` (`lzf_decompress`), `lzf_c.c`
//! (`lzf_compress`).

/// Why a compressed buffer could not be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The input ends in the middle of an instruction.
    Truncated,
    /// The output would exceed the declared length.
    TooLong,
    /// A back-reference points before the start of the output.
    BadReference,
    /// The input ended before the declared length was produced.
    TooShort,
}

/// The most output one input byte can produce (a 3-byte back-reference
/// expands to 264 bytes): declared lengths beyond `input * MAX_RATIO` are
/// corrupt and are refused before anything is allocated for them.
pub const MAX_RATIO: usize = 88;

/// Bits of the compressor's hash table index.
const HLOG: u32 = 14;
/// Longest literal run one control byte covers.
const MAX_LIT: usize = 32;
/// Farthest back-reference (offsets 1..=8192).
const MAX_OFF: usize = 1 << 13;
/// Longest back-reference.
const MAX_REF: usize = 264;

/// An LZF compressor. It keeps its hash table between calls: stale
/// entries are harmless (every candidate is checked against the input
/// bytes), so no per-call clearing is needed.
pub struct Compressor {
    table: Vec<u32>,
    /// Output buffer reused between calls.
    out: Vec<u8>,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    /// A compressor with an empty table.
    pub fn new() -> Self {
        Compressor {
            table: vec![0; 1 << HLOG],
            out: Vec::new(),
        }
    }

    /// Compresses `input`; None when the result would exceed `max_out`
    /// bytes (Redis keeps such strings uncompressed).
    pub fn compress(&mut self, input: &[u8], max_out: usize) -> Option<Vec<u8>> {
        self.compress_ref(input, max_out).map(|z| z.to_vec())
    }

    /// `compress` into the compressor's own buffer (no allocation once
    /// it has grown): the result is valid until the next call.
    pub fn compress_ref(&mut self, input: &[u8], max_out: usize) -> Option<&[u8]> {
        let n = input.len();
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let mut lit_start = 0;
        let mut ip = 0;
        let hash = |i: usize| -> usize {
            let v = (u32::from(input[i]) << 16)
                | (u32::from(input[i + 1]) << 8)
                | u32::from(input[i + 2]);
            (v.wrapping_mul(0x9E37_79B1) >> (32 - HLOG)) as usize
        };
        while ip + 2 < n {
            let h = hash(ip);
            let cand = self.table[h] as usize;
            self.table[h] = ip as u32;
            if cand < ip && ip - cand <= MAX_OFF && input[cand..cand + 3] == input[ip..ip + 3] {
                let max = (n - ip).min(MAX_REF);
                let mut len = 3;
                while len < max && input[cand + len] == input[ip + len] {
                    len += 1;
                }
                flush_literals(&mut out, &input[lit_start..ip]);
                let off = ip - cand - 1;
                let l = len - 2;
                if l < 7 {
                    out.push(((off >> 8) as u8) | ((l as u8) << 5));
                } else {
                    out.push(((off >> 8) as u8) | (7 << 5));
                    out.push((l - 7) as u8);
                }
                out.push(off as u8);
                // Index the positions the match covered, for later ones.
                let end = ip + len;
                let mut k = ip + 1;
                while k < end && k + 2 < n {
                    let hk = hash(k);
                    self.table[hk] = k as u32;
                    k += 1;
                }
                ip = end;
                lit_start = ip;
            } else {
                ip += 1;
            }
            if out.len() > max_out {
                self.out = out;
                return None;
            }
        }
        flush_literals(&mut out, &input[lit_start..]);
        self.out = out;
        (self.out.len() <= max_out).then_some(&self.out[..])
    }
}

/// Writes `lit` as literal runs.
fn flush_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for run in lit.chunks(MAX_LIT) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

thread_local! {
    /// The reactor's compressor for quicklist nodes (its table is reused).
    static COMPRESSOR: std::cell::RefCell<Compressor> = std::cell::RefCell::new(Compressor::new());
}

/// `Compressor::compress` with this thread's compressor.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    COMPRESSOR.with(|c| c.borrow_mut().compress(input, max_out))
}

/// Expands `input` into exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out = Vec::new();
    decompress_into(input, out_len, &mut out)?;
    Ok(out)
}

/// Bytes written past the end of the output while expanding: literal
/// runs are copied 32 bytes at a time and back-references 8 at a time,
/// whatever their length, and the excess is overwritten or cut off.
const SLACK: usize = 32;

/// `decompress` into `out` (cleared first), reusing its allocation.
pub fn decompress_into(input: &[u8], out_len: usize, out: &mut Vec<u8>) -> Result<(), LzfError> {
    if out_len > input.len().saturating_mul(MAX_RATIO) {
        return Err(LzfError::TooLong);
    }
    out.clear();
    out.resize(out_len + SLACK, 0);
    let o = &mut out[..];
    let mut ip = 0usize;
    let mut op = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 (at most 32) bytes.
            let run = ctrl + 1;
            if ip + run > input.len() {
                return Err(LzfError::Truncated);
            }
            if op + run > out_len {
                return Err(LzfError::TooLong);
            }
            if ip + 32 <= input.len() {
                o[op..op + 32].copy_from_slice(&input[ip..ip + 32]);
            } else {
                o[op..op + run].copy_from_slice(&input[ip..ip + run]);
            }
            ip += run;
            op += run;
        } else {
            // A back-reference: length in the top 3 bits (7 = extended by
            // the next byte), offset in the low 5 bits and the next byte.
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError::Truncated)? as usize;
                ip += 1;
            }
            let low = *input.get(ip).ok_or(LzfError::Truncated)? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if op + len > out_len {
                return Err(LzfError::TooLong);
            }
            if back > op {
                return Err(LzfError::BadReference);
            }
            let start = op - back;
            if back >= 8 {
                // Each 8-byte step reads only bytes already written (they
                // are at least 8 behind), so a run that repeats its own
                // output comes out right.
                let mut k = 0;
                while k < len {
                    o.copy_within(start + k..start + k + 8, op + k);
                    k += 8;
                }
            } else {
                for k in 0..len {
                    o[op + k] = o[start + k];
                }
            }
            op += len;
        }
    }
    if op != out_len {
        return Err(LzfError::TooShort);
    }
    out.truncate(out_len);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_round_trips() {
        let mut c = Compressor::new();
        let mut rng = 12345u64;
        let mut samples: Vec<Vec<u8>> = vec![
            vec![b'a'; 100],
            b"hello hello hello hello hello world".to_vec(),
            (0..5000u32).map(|i| (i % 251) as u8).collect(),
            vec![0; 70000],
        ];
        for len in [21, 50, 300, 9000] {
            samples.push(
                (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        b"abcab"[(rng % 5) as usize]
                    })
                    .collect(),
            );
        }
        for s in &samples {
            let z = c.compress(s, s.len()).expect("compressible");
            assert!(z.len() < s.len());
            assert_eq!(decompress(&z, s.len()).unwrap(), *s);
        }
        // Incompressible data does not fit in len - 4.
        let noise: Vec<u8> = (0..100u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(c.compress(&noise, noise.len() - 4).is_none());
    }

    #[test]
    fn expands_what_redis_wrote() {
        // `SET long <100 x 'a'>` saved by redis-server 7.0 with
        // rdbcompression yes: clen 9, len 100.
        let data = [0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61];
        assert_eq!(decompress(&data, 100).unwrap(), vec![b'a'; 100]);
        // A literal only.
        assert_eq!(decompress(&[0x02, b'a', b'b', b'c'], 3).unwrap(), b"abc");
        // Literal then a non-overlapping reference: "abcabc".
        assert_eq!(
            decompress(&[0x02, b'a', b'b', b'c', 0x20, 0x02], 6).unwrap(),
            b"abcabc"
        );
    }

    #[test]
    fn refuses_bad_input() {
        let data = [0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61];
        assert_eq!(decompress(&data, 99), Err(LzfError::TooLong));
        assert_eq!(decompress(&data, 101), Err(LzfError::TooShort));
        assert_eq!(decompress(&data[..4], 100), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20, 0x00], 3), Err(LzfError::BadReference));
        assert_eq!(
            decompress(&[0x00, b'a', 0x20, 0x05], 4),
            Err(LzfError::BadReference)
        );
        assert_eq!(decompress(&[], 1 << 40), Err(LzfError::TooLong));
        assert_eq!(decompress(&[], 0), Ok(vec![]));
    }

    /// The plain byte-at-a-time expansion the fast one must agree with.
    fn reference(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
        let mut out = Vec::new();
        let mut ip = 0;
        while ip < input.len() {
            let ctrl = input[ip] as usize;
            ip += 1;
            if ctrl < 32 {
                let lit = input.get(ip..ip + ctrl + 1).ok_or(LzfError::Truncated)?;
                if out.len() + lit.len() > out_len {
                    return Err(LzfError::TooLong);
                }
                out.extend_from_slice(lit);
                ip += ctrl + 1;
            } else {
                let mut len = ctrl >> 5;
                if len == 7 {
                    len += *input.get(ip).ok_or(LzfError::Truncated)? as usize;
                    ip += 1;
                }
                let low = *input.get(ip).ok_or(LzfError::Truncated)? as usize;
                ip += 1;
                let back = ((ctrl & 0x1f) << 8) + low + 1;
                if out.len() + len + 2 > out_len {
                    return Err(LzfError::TooLong);
                }
                if back > out.len() {
                    return Err(LzfError::BadReference);
                }
                for _ in 0..len + 2 {
                    out.push(out[out.len() - back]);
                }
            }
        }
        if out.len() != out_len {
            return Err(LzfError::TooShort);
        }
        Ok(out)
    }

    #[test]
    fn agrees_with_the_plain_expansion_on_mutated_streams() {
        let mut c = Compressor::new();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || crate::db::dict::next_random(&mut rng);
        for round in 0..3000 {
            let len = 20 + (next() % 400) as usize;
            let alphabet: &[u8] = if round % 2 == 0 {
                b"ab"
            } else {
                b"field0123456789value"
            };
            let data: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let Some(mut z) = c.compress(&data, data.len()) else {
                continue;
            };
            assert_eq!(decompress(&z, len), Ok(data.clone()));
            for _ in 0..4 {
                let at = (next() % z.len() as u64) as usize;
                z[at] = next() as u8;
                let cut = z.len() - (next() % 3) as usize;
                let want = len + (next() % 3) as usize - 1;
                assert_eq!(decompress(&z[..cut], want), reference(&z[..cut], want));
            }
        }
    }

    #[test]
    fn never_panics_on_noise() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        for _ in 0..20_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let n = (rng % 24) as usize;
            let bytes: Vec<u8> = (0..n).map(|i| (rng >> (i % 8 * 8)) as u8).collect();
            let _ = decompress(&bytes, (rng >> 40) as usize % 300);
        }
    }
}
