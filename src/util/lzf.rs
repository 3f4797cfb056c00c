//! LZF, the compression Redis uses for RDB strings (`rdbcompression yes`)
//! and for quicklist nodes (`list-compress-depth`): a greedy compressor
//! that writes liblzf's format (literal runs of up to 32 bytes,
//! back-references of 3 to 264 bytes within 8 KB) and a decompressor that
//! checks every length and back-reference, since its input may come from
//! a file: nothing there trusts its input.
//!
//! Redis counterpart: `lzf_c.c` (`lzf_compress`, the format only) and
//! `lzf_d.c` (`lzf_decompress`).

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

/// Longest back-reference: 2 + 7 + 255.
const MAX_REF: usize = 264;
/// Farthest back-reference distance.
const MAX_OFF: usize = 1 << 13;
/// Longest literal run.
const MAX_LIT: usize = 32;
/// log2 of the match-finder's table size.
const HASH_LOG: u32 = 14;

#[inline]
fn hash3(b: &[u8]) -> usize {
    let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_LOG)) as usize
}

/// Appends `lit` as literal runs.
fn push_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for chunk in lit.chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Compresses `input`; `None` when the result would be longer than
/// `max_out` bytes (callers pass what compression must save, as Redis
/// keeps a value uncompressed when LZF does not pay). Output is what
/// liblzf's decompressor, and so Redis, reads back.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out = Vec::with_capacity(max_out.min(n + n / 32 + 1));
    let mut table = vec![0u32; 1 << HASH_LOG];
    let mut lit_start = 0;
    let mut i = 0;
    while i + 2 < n {
        let h = hash3(&input[i..]);
        let cand = table[h] as usize;
        table[h] = i as u32 + 1;
        if cand > 0 {
            let r = cand - 1;
            let dist = i - r;
            if dist <= MAX_OFF && input[r..r + 3] == input[i..i + 3] {
                let max = (n - i).min(MAX_REF);
                let mut len = 3;
                while len < max && input[r + len] == input[i + len] {
                    len += 1;
                }
                push_literals(&mut out, &input[lit_start..i]);
                let off = dist - 1;
                let l = len - 2;
                if l < 7 {
                    out.push(((l << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push((off & 0xff) as u8);
                // Index the positions the match covered (cheaply: the
                // last two), so the next match can start inside it.
                for p in (i + len).saturating_sub(2)..i + len {
                    if p + 2 < n {
                        table[hash3(&input[p..])] = p as u32 + 1;
                    }
                }
                i += len;
                lit_start = i;
                if out.len() > max_out {
                    return None;
                }
                continue;
            }
        }
        i += 1;
    }
    push_literals(&mut out, &input[lit_start..]);
    (out.len() <= max_out).then_some(out)
}

/// Expands `input` into exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    if out_len > input.len().saturating_mul(MAX_RATIO) {
        return Err(LzfError::TooLong);
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let run = ctrl + 1;
            let lit = input.get(ip..ip + run).ok_or(LzfError::Truncated)?;
            if out.len() + run > out_len {
                return Err(LzfError::TooLong);
            }
            out.extend_from_slice(lit);
            ip += run;
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
            if out.len() + len > out_len {
                return Err(LzfError::TooLong);
            }
            if back > out.len() {
                return Err(LzfError::BadReference);
            }
            let start = out.len() - back;
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                // Overlapping copy: the run repeats the last `back` bytes.
                for k in 0..len {
                    let b = out[start + k];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::TooShort);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn compress_round_trips_and_refuses_when_it_does_not_pay() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            b"a".to_vec(),
            vec![b'a'; 100],
            vec![b'x'; 100_000],
            b"abcabcabcabcabcabcabcabcabcabc".to_vec(),
        ];
        for _ in 0..200 {
            let len = (next() % 20_000) as usize;
            let alphabet = 1 + (next() % 16) as u8;
            inputs.push((0..len).map(|_| b'a' + (next() as u8 % alphabet)).collect());
        }
        for input in &inputs {
            let c = compress(input, input.len() + input.len() / 32 + 2).unwrap();
            assert_eq!(decompress(&c, input.len()).unwrap(), *input);
        }
        // Redis's own example compresses to the 9 bytes it wrote.
        assert!(compress(&[b'a'; 100], 99).unwrap().len() <= 9);
        // Random bytes don't compress.
        let noise: Vec<u8> = (0..1000).map(|_| next() as u8).collect();
        assert_eq!(compress(&noise, noise.len() - 1), None);
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
