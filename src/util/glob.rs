//! Glob-style pattern matching with the exact semantics of Redis's
//! `stringmatchlen` (KEYS, SCAN MATCH, and later PSUBSCRIBE, CONFIG GET,
//! ACL key patterns), compiled once and matched in O(pattern × key) time.
//!
//! Syntax: `*` (any run of bytes), `?` (one byte), `[abc]`, `[^abc]`,
//! `[a-z]` (reversed ranges like `[z-a]` work), `\x` (a literal `x`).
//! Redis's quirks are kept on purpose, since replies must be identical:
//!
//! - An empty key matches only the empty pattern (not even `*`); callers
//!   short-circuit the bare `*` pattern themselves, as Redis does.
//! - Range ends and the tested byte compare as C `char`s, i.e. *signed*
//!   bytes: `[a-\xff]` is the range -1..=97.
//! - With `nocase`, a `\`-escaped byte inside a class still compares
//!   case-sensitively, and range ends are lowercased after being ordered
//!   (so `[Z-a]` matches nothing).
//! - An unterminated class (`[abc`) takes the rest of the pattern as its
//!   members; `[a-]` is the range `]`..=`a`, which also leaves the class
//!   unterminated; `[]` matches nothing and `[^]` any byte.
//! - A pattern whose 1001st run of `*` is not its last element never
//!   matches (Redis gives up past 1000 nested `*` recursions).
//!
//! Redis counterpart: `stringmatchlen` in `util.c`. Redis matches by
//! recursion at every `*`; here the pattern is first compiled to a list of
//! single-byte sets and stars, then matched with the classic iterative
//! algorithm that only ever backtracks to the most recent star. Because
//! every non-star element consumes exactly one byte, that is equivalent to
//! the full backtracking search, without recursion (no stack overflow on a
//! pattern with many stars) and never exponential.

/// Redis stops recursing past this many nested `*`.
const MAX_STAR_NESTING: usize = 1000;

/// A set of bytes, one bit per byte value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ByteSet([u64; 4]);

impl ByteSet {
    const EMPTY: ByteSet = ByteSet([0; 4]);
    const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    #[inline]
    fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }

    #[inline]
    fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }

    fn invert(&mut self) {
        for w in &mut self.0 {
            *w = !*w;
        }
    }

    /// A single byte, plus its other case when matching without case.
    fn byte(b: u8, nocase: bool) -> ByteSet {
        let mut s = ByteSet::EMPTY;
        s.insert(b);
        if nocase {
            s.insert(b.to_ascii_lowercase());
            s.insert(b.to_ascii_uppercase());
        }
        s
    }
}

/// C `tolower` in the C locale, on a (possibly negative) `char` value.
#[inline]
fn c_tolower(c: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// The value C sees for a byte held in a (signed) `char`.
#[inline]
fn c_char(b: u8) -> i32 {
    b as i8 as i32
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Elem {
    /// One or more consecutive `*`.
    Star,
    /// Exactly one byte from the set (`?`, a literal, a class).
    One(ByteSet),
}

/// A compiled glob pattern.
#[derive(Clone, Debug)]
pub struct GlobPattern {
    elems: Vec<Elem>,
    /// The pattern was the empty string (the only one matching "").
    empty: bool,
    /// The pattern can never match (too many nested stars).
    never: bool,
}

impl GlobPattern {
    /// Compiles `pattern`; `nocase` matches ASCII letters without case.
    pub fn new(pattern: &[u8], nocase: bool) -> GlobPattern {
        // C reads the NUL terminator when it looks one byte past the end.
        let at = |i: usize| pattern.get(i).copied().unwrap_or(0);
        let len = pattern.len();
        let mut elems = Vec::new();
        let mut stars = 0usize;
        let mut limit_star_at = None;
        let mut i = 0;
        while i < len {
            match pattern[i] {
                b'*' => {
                    while at(i + 1) == b'*' {
                        i += 1;
                    }
                    i += 1;
                    stars += 1;
                    if stars == MAX_STAR_NESTING + 1 {
                        limit_star_at = Some(elems.len());
                    }
                    elems.push(Elem::Star);
                }
                b'?' => {
                    elems.push(Elem::One(ByteSet::ALL));
                    i += 1;
                }
                b'[' => {
                    i += 1;
                    let negate = at(i) == b'^';
                    if negate {
                        i += 1;
                    }
                    let mut set = ByteSet::EMPTY;
                    loop {
                        if at(i) == b'\\' && len - i >= 2 {
                            // Escaped member: compared exactly, even nocase.
                            set.insert(pattern[i + 1]);
                            i += 2;
                        } else if at(i) == b']' {
                            i += 1;
                            break;
                        } else if i >= len {
                            // Unterminated: the class ends with the pattern.
                            break;
                        } else if len - i >= 3 && pattern[i + 1] == b'-' {
                            add_range(&mut set, pattern[i], pattern[i + 2], nocase);
                            i += 3;
                        } else {
                            let b = ByteSet::byte(pattern[i], nocase);
                            for (w, x) in set.0.iter_mut().zip(b.0) {
                                *w |= x;
                            }
                            i += 1;
                        }
                    }
                    if negate {
                        set.invert();
                    }
                    elems.push(Elem::One(set));
                }
                b'\\' if len - i >= 2 => {
                    elems.push(Elem::One(ByteSet::byte(pattern[i + 1], nocase)));
                    i += 2;
                }
                b => {
                    elems.push(Elem::One(ByteSet::byte(b, nocase)));
                    i += 1;
                }
            }
        }
        // Only a final star survives Redis's nesting limit: reaching any
        // later element needs one recursion too many.
        let never = limit_star_at.is_some_and(|at| at + 1 != elems.len());
        GlobPattern {
            elems,
            empty: pattern.is_empty(),
            never,
        }
    }

    /// Whether `s` matches the whole pattern.
    pub fn matches(&self, s: &[u8]) -> bool {
        if s.is_empty() {
            return self.empty;
        }
        if self.never {
            return false;
        }
        let elems = &self.elems;
        let (mut pi, mut si) = (0usize, 0usize);
        // After the latest star: (element index after it, key index it
        // currently resumes matching from).
        let mut resume: Option<(usize, usize)> = None;
        while si < s.len() {
            match elems.get(pi) {
                Some(Elem::Star) => {
                    if pi + 1 == elems.len() {
                        return true;
                    }
                    pi += 1;
                    resume = Some((pi, si));
                }
                Some(Elem::One(set)) if set.contains(s[si]) => {
                    pi += 1;
                    si += 1;
                }
                _ => match resume {
                    // Let the latest star swallow one more byte.
                    Some((rp, rs)) => {
                        pi = rp;
                        si = rs + 1;
                        resume = Some((rp, rs + 1));
                    }
                    None => return false,
                },
            }
        }
        while elems.get(pi) == Some(&Elem::Star) {
            pi += 1;
        }
        pi == elems.len()
    }
}

/// Adds a class range to `set`: ends ordered as signed chars, then (with
/// `nocase`) lowercased along with the tested byte.
fn add_range(set: &mut ByteSet, a: u8, b: u8, nocase: bool) {
    let (mut lo, mut hi) = (c_char(a), c_char(b));
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    if nocase {
        lo = c_tolower(lo);
        hi = c_tolower(hi);
    }
    for byte in 0..=255u8 {
        let mut c = c_char(byte);
        if nocase {
            c = c_tolower(c);
        }
        if lo <= c && c <= hi {
            set.insert(byte);
        }
    }
}

/// One-shot match (compiles the pattern each call).
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    GlobPattern::new(pattern, nocase).matches(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mb(p: &[u8], s: &[u8]) -> bool {
        glob_match(p, s, false)
    }

    #[test]
    fn basics() {
        assert!(m("*", "abc"));
        assert!(m("a*", "a"));
        assert!(m("a*", "abc"));
        assert!(m("*c", "abc"));
        assert!(m("a*c", "abbbc"));
        assert!(m("a*c", "ac"));
        assert!(!m("a*c", "ab"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(!m("abcd", "abc"));
        assert!(m("a**b", "ab"));
        assert!(m("a*b*", "ab"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(m("?*", "x"));
        assert!(!m("??*", "x"));
    }

    #[test]
    fn empty_key_matches_only_empty_pattern() {
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("", "a"));
        assert!(!m("?", ""));
    }

    #[test]
    fn reversed_ranges_and_escapes() {
        assert!(m("[z-a]", "m"));
        assert!(m("[z-a]", "a"));
        assert!(m("[z-a]", "z"));
        assert!(!m("[z-a]", "A"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "x"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\", "\\"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "b"));
        assert!(m("\\a", "a"));
    }

    #[test]
    fn unterminated_and_odd_classes() {
        // "[" alone matches nothing; "[^" matches any one byte.
        assert!(!m("[", "["));
        assert!(!m("[", "a"));
        assert!(m("[^", "a"));
        assert!(!m("[^", "ab"));
        // "[abc" is the class {a,b,c}.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(!m("[abc", "[abc"));
        // "[a-" is the members 'a' and '-'.
        assert!(m("[a-", "a"));
        assert!(m("[a-", "-"));
        // "[a-]" is the range ']'..='a', unterminated.
        assert!(m("[a-]", "]"));
        assert!(m("[a-]", "_"));
        assert!(m("[a-]", "a"));
        assert!(!m("[a-]", "b"));
        assert!(!m("[a-]x", "ax"));
        assert!(m("[a-]x", "x"));
        // "[]" matches nothing, "[^]" anything; the rest are literals.
        assert!(!m("[]", "]"));
        assert!(!m("[]a]", "a"));
        assert!(m("[^]a]", "xa]"));
        assert!(m("[\\", "\\"));
    }

    #[test]
    fn ranges_compare_signed_chars() {
        // [a-\xff] is -1..=97: \xff and ASCII up to 'a', not \x80 or 'b'.
        let p = b"[a-\xff]";
        assert!(mb(p, b"\xff"));
        assert!(mb(p, b"a"));
        assert!(mb(p, b"\x00"));
        assert!(!mb(p, b"\x80"));
        assert!(!mb(p, b"b"));
        // \x80-\xff is -128..=-1.
        assert!(mb(b"[\x80-\xff]", b"\x90"));
        assert!(!mb(b"[\x80-\xff]", b"a"));
    }

    #[test]
    fn nocase() {
        let n = |p: &str, s: &str| glob_match(p.as_bytes(), s.as_bytes(), true);
        assert!(n("HeLLo", "hello"));
        assert!(n("h[A-C]llo", "hbllo"));
        assert!(n("h[a-c]llo", "hBllo"));
        assert!(n("h[E]llo", "hello"));
        assert!(n("\\H*", "hey"));
        // Escaped class members stay case-sensitive.
        assert!(!n("[\\A]", "a"));
        assert!(n("[\\A]", "A"));
        // Ends are lowercased after ordering: [Z-a] becomes 122..=97.
        assert!(!n("[Z-a]", "z"));
        assert!(!n("[Z-a]", "_"));
        assert!(m("[Z-a]", "_"));
        assert!(!m("Hello", "hello"));
    }

    #[test]
    fn binary_bytes() {
        assert!(mb(b"a\x00*", b"a\x00bc"));
        assert!(!mb(b"a\x00*", b"ab"));
        assert!(mb(b"[\x00]", b"\x00"));
        assert!(mb(b"?", b"\xff"));
    }

    #[test]
    fn star_nesting_limit_like_redis() {
        let key = "a".repeat(1001);
        assert!(m(&"*a".repeat(1000), &key));
        assert!(!m(&"*a".repeat(1001), &key));
        assert!(m(&format!("{}*", "*a".repeat(1000)), &key));
        assert!(m(&"a*".repeat(1001), &key));
        assert!(m(&format!("{}a", "a*".repeat(1000)), &key));
        assert!(!m(&format!("{}a", "a*".repeat(1001)), &key));
    }

    #[test]
    fn adversarial_patterns_are_fast() {
        let key = "a".repeat(10_000);
        let pat = format!("{}b", "a*".repeat(500));
        let start = std::time::Instant::now();
        assert!(!m(&pat, &key));
        assert!(!m("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", &key));
        assert!(start.elapsed().as_secs() < 5);
        // Deep star counts do not recurse.
        let many = "*".repeat(200_000) + &"?*".repeat(100_000);
        assert!(!m(&many, "abc"));
    }

    /// An independent oracle: exhaustive backtracking straight over the
    /// pattern bytes (exponential; small inputs only).
    fn oracle(p: &[u8], s: &[u8]) -> bool {
        fn class(p: &[u8], mut i: usize, c: u8) -> (bool, usize) {
            // p[i-1] was '['. Returns (matched, index after the class).
            let byte = |j: usize| p.get(j).copied().unwrap_or(0);
            let neg = byte(i) == b'^';
            if neg {
                i += 1;
            }
            let mut hit = false;
            loop {
                let rest = p.len().saturating_sub(i);
                if byte(i) == b'\\' && rest >= 2 {
                    hit |= p[i + 1] == c;
                    i += 2;
                } else if byte(i) == b']' {
                    i += 1;
                    break;
                } else if rest == 0 {
                    break;
                } else if rest >= 3 && p[i + 1] == b'-' {
                    let (mut a, mut b) = (p[i] as i8, p[i + 2] as i8);
                    if a > b {
                        std::mem::swap(&mut a, &mut b);
                    }
                    hit |= (a..=b).contains(&(c as i8));
                    i += 3;
                } else {
                    hit |= p[i] == c;
                    i += 1;
                }
            }
            (hit != neg, i)
        }
        fn go(p: &[u8], s: &[u8], depth: usize) -> bool {
            if p.is_empty() {
                return s.is_empty();
            }
            if p[0] == b'*' {
                let mut j = 0;
                while j < p.len() && p[j] == b'*' {
                    j += 1;
                }
                if j == p.len() {
                    return true;
                }
                if depth >= MAX_STAR_NESTING {
                    return false;
                }
                return (0..=s.len()).any(|k| go(&p[j..], &s[k..], depth + 1));
            }
            let Some(&c) = s.first() else {
                return false;
            };
            let (ok, next) = match p[0] {
                b'?' => (true, 1),
                b'[' => class(p, 1, c),
                b'\\' if p.len() >= 2 => (p[1] == c, 2),
                x => (x == c, 1),
            };
            ok && go(&p[next..], &s[1..], depth)
        }
        if s.is_empty() {
            return p.is_empty();
        }
        go(p, s, 0)
    }

    #[test]
    fn agrees_with_backtracking_oracle() {
        let alphabet = b"ab*?[]^-\\";
        let keys_alpha = b"ab]-^\\*";
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for _ in 0..200_000 {
            let pl = next(8);
            let p: Vec<u8> = (0..pl).map(|_| alphabet[next(alphabet.len())]).collect();
            let sl = next(6);
            let s: Vec<u8> = (0..sl)
                .map(|_| keys_alpha[next(keys_alpha.len())])
                .collect();
            assert_eq!(
                mb(&p, &s),
                oracle(&p, &s),
                "pattern {:?} key {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&s)
            );
        }
    }
}
