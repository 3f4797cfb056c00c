//! The process title `ps` shows: `proc-title-template` expanded with the
//! name the server was started as (`{title}`), or with the child's role
//! (`redis-rdb-bgsave`, ...) in forked children, when `set-proc-title` is
//! on. The bytes are written over argv by `sys::set_proc_title`.
//!
//! Redis counterpart: `redisSetProcTitle` in `server.c`.

use crate::config::validate::expand_proc_title;
use crate::config::Config;

/// Sets the title for `title` (the executable name, or a child's role).
pub fn apply(cfg: &Config, title: &str) {
    if !cfg.get_bool("set-proc-title") {
        return;
    }
    let template = cfg.get("proc-title-template").unwrap_or_default();
    if let Some(t) = expand_proc_title(cfg, &template, title) {
        crate::sys::set_proc_title(&t);
    }
}
