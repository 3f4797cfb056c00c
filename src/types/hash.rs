//! `Hash`: a Redis hash
//! Pure data structure and algorithms: no client, no reply, no clock.
//!
//! Redis counterpart: ` `listpack` when small, `hashtable` when big.:t_hash.c` (the data-structure half).

use crate::util::sha1::Digest;

/// a Redis hash
#[derive(Clone, Debug, Default)]
pub struct Hash {
    len: usize,
}

impl Hash {
    /// An empty value.
    pub fn new() -> Self {
        Hash::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoding name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        0
    }

    /// Mixes the contents into a DEBUG DIGEST the way Redis does for this
    /// type.
    pub fn mix_digest(&self, _digest: &mut Digest) {}
}
