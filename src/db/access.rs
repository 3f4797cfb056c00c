//! Per-key access tracking for OBJECT IDLETIME/FREQ (and, later, eviction):
//! either Redis's 24-bit LRU clock (seconds) or its LFU stamp (16 bits of
//! minutes + an 8-bit logarithmic counter), chosen by `maxmemory-policy`.
//!
//! Redis counterpart: `evict.c` (LRU clock, `LFULogIncr`,
//! `LFUDecrAndReturn`).

/// New keys start with this counter so they are not evicted at once.
pub const LFU_INIT_VAL: u32 = 5;

/// How keys' access stamps are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessPolicy {
    /// LFU (a `*-lfu` maxmemory policy) rather than LRU.
    pub lfu: bool,
    /// `lfu-log-factor`.
    pub log_factor: u32,
    /// `lfu-decay-time` in minutes.
    pub decay_minutes: u32,
}

impl Default for AccessPolicy {
    fn default() -> Self {
        AccessPolicy {
            lfu: false,
            log_factor: 10,
            decay_minutes: 1,
        }
    }
}

/// Unix minutes modulo 2^16, the LFU stamp's time part.
#[inline]
pub fn lfu_minutes(now_secs: i64) -> u32 {
    ((now_secs / 60) as u64 & 0xFFFF) as u32
}

/// Minutes since the stamp's time part, wrapping at 2^16.
fn minutes_since(stamp: u32, now_secs: i64) -> u32 {
    let now = lfu_minutes(now_secs);
    let then = stamp >> 8;
    if now >= then {
        now - then
    } else {
        65535 - then + now
    }
}

/// The counter after decaying it by the periods elapsed (OBJECT FREQ).
pub fn lfu_decayed(stamp: u32, now_secs: i64, policy: AccessPolicy) -> u32 {
    let counter = stamp & 0xFF;
    let periods = minutes_since(stamp, now_secs)
        .checked_div(policy.decay_minutes)
        .unwrap_or(0);
    counter.saturating_sub(periods)
}

/// A fresh LFU stamp for a new key.
pub fn lfu_new(now_secs: i64) -> u32 {
    (lfu_minutes(now_secs) << 8) | LFU_INIT_VAL
}

/// The stamp after one access: decay, then a logarithmic increment that
/// gets less likely as the counter grows (`r` is a uniform sample in
/// [0, 1)).
pub fn lfu_touch(stamp: u32, now_secs: i64, policy: AccessPolicy, r: f64) -> u32 {
    let mut counter = lfu_decayed(stamp, now_secs, policy);
    if counter < 255 {
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * policy.log_factor as f64 + 1.0);
        if r < p {
            counter += 1;
        }
    }
    (lfu_minutes(now_secs) << 8) | counter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_grows_logarithmically_and_decays() {
        let p = AccessPolicy {
            lfu: true,
            ..AccessPolicy::default()
        };
        let t = 1_000_000_000;
        let mut s = lfu_new(t);
        assert_eq!(lfu_decayed(s, t, p), LFU_INIT_VAL);
        // Certain increments (r = 0) up to the cap.
        for _ in 0..300 {
            s = lfu_touch(s, t, p, 0.0);
        }
        assert_eq!(s & 0xFF, 255);
        // Unlikely increments (r close to 1) do nothing once warmed up.
        let warm = (lfu_minutes(t) << 8) | 20;
        assert_eq!(lfu_touch(warm, t, p, 0.99) & 0xFF, 20);
        // Three minutes later the counter has decayed by three.
        assert_eq!(lfu_decayed(warm, t + 180, p), 17);
    }
}
