//! LZF decompression, for the compressed strings Redis writes into RDB
//! files (`rdbcompression yes`). Every length and back-reference comes
//! from the file and is checked; nothing here trusts its input. (The
//! compressor arrives with the persistence issue; ferredis writes
//! uncompressed strings until then.)
//!
//! Redis counterpart: `lzf_d.c` (`lzf_decompress`).

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
