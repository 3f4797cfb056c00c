//! The client-side caching subcommands of CLIENT: TRACKING, CACHING,
//! GETREDIR, TRACKINGINFO (the rows live in `commands/client.rs`; the
//! tracking state and the invalidations in `server/tracking.rs`).
//!
//! Redis counterpart: the `tracking`, `caching`, `getredir` and
//! `trackinginfo` branches of `clientCommand` (`networking.c`),
//! `checkPrefixCollisionsOrReply` (`tracking.c`).

use super::args;
use super::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::server::tracking::{self, tflags};

/// Whether one prefix is a prefix of the other (Redis's
/// `stringCheckPrefix`).
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// A prefix as Redis prints it with `%s` (up to the first NUL).
fn shown(p: &[u8]) -> String {
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    String::from_utf8_lossy(&p[..end]).into_owned()
}

/// Rejects prefixes that overlap the client's existing ones or each other.
fn check_prefix_collisions(existing: Option<&[Vec<u8>]>, prefixes: &[&[u8]]) -> CmdResult {
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(old) = existing.and_then(|e| e.iter().find(|o| overlaps(o, p))) {
            return Err(CmdError::owned(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                shown(p),
                shown(old)
            )));
        }
        if let Some(other) = prefixes[i + 1..].iter().find(|o| overlaps(p, o)) {
            return Err(CmdError::owned(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                shown(p),
                shown(other)
            )));
        }
    }
    Ok(())
}

/// CLIENT TRACKING ON|OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub fn tracking_command(ctx: &mut Ctx) -> CmdResult {
    let mut redirect: u64 = 0;
    let mut redirect_token = None;
    let mut options = 0u32;
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let argc = ctx.argc();
    let mut j = 3;
    while j < argc {
        let more = argc - 1 - j;
        let a = ctx.argv[j];
        if args::is(a, "redirect") && more > 0 {
            j += 1;
            if redirect != 0 {
                return Err(CmdError::msg(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = args::int(ctx.argv[j])?;
            let found = u64::try_from(id)
                .ok()
                .filter(|&id| id > 0)
                .and_then(|id| tracking::find_token(ctx.srv, ctx.client, id).map(|t| (id, t)));
            let Some((id, token)) = found else {
                return Err(CmdError::msg(
                    "ERR The client ID you want redirect to does not exist",
                ));
            };
            redirect = id;
            redirect_token = Some(token);
        } else if args::is(a, "bcast") {
            options |= tflags::BCAST;
        } else if args::is(a, "optin") {
            options |= tflags::OPTIN;
        } else if args::is(a, "optout") {
            options |= tflags::OPTOUT;
        } else if args::is(a, "noloop") {
            options |= tflags::NOLOOP;
        } else if args::is(a, "prefix") && more > 0 {
            j += 1;
            prefixes.push(ctx.argv[j]);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let id = ctx.client.id;
    if args::is(ctx.argv[2], "on") {
        if options & tflags::BCAST == 0 && !prefixes.is_empty() {
            return Err(CmdError::msg(
                "ERR PREFIX option requires BCAST mode to be enabled",
            ));
        }
        let current = ctx.srv.tracking.state(id).map(|s| s.flags);
        if let Some(flags) = current {
            if (flags & tflags::BCAST != 0) != (options & tflags::BCAST != 0) {
                return Err(CmdError::msg(
                    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
                ));
            }
        }
        if options & tflags::BCAST != 0 && options & (tflags::OPTIN | tflags::OPTOUT) != 0 {
            return Err(CmdError::msg(
                "ERR OPTIN and OPTOUT are not compatible with BCAST",
            ));
        }
        if options & tflags::OPTIN != 0 && options & tflags::OPTOUT != 0 {
            return Err(CmdError::msg(
                "ERR You can't specify both OPTIN mode and OPTOUT mode",
            ));
        }
        let flags = current.unwrap_or(0);
        if (options & tflags::OPTIN != 0 && flags & tflags::OPTOUT != 0)
            || (options & tflags::OPTOUT != 0 && flags & tflags::OPTIN != 0)
        {
            return Err(CmdError::msg(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
            ));
        }
        if options & tflags::BCAST != 0 {
            let existing: Option<Vec<Vec<u8>>> = ctx
                .srv
                .tracking
                .state(id)
                .map(|s| s.prefixes.iter().cloned().collect());
            check_prefix_collisions(existing.as_deref(), &prefixes)?;
        }
        tracking::enable(
            ctx.srv,
            ctx.client,
            redirect,
            redirect_token,
            options,
            &prefixes,
        );
    } else if args::is(ctx.argv[2], "off") {
        tracking::disable(ctx.srv, id);
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.client.reply.ok();
    Ok(())
}

/// CLIENT CACHING YES|NO
pub fn caching_command(ctx: &mut Ctx) -> CmdResult {
    let Some(st) = ctx.srv.tracking.state_mut(ctx.client.id) else {
        return Err(CmdError::msg(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    let a = ctx.argv[2];
    if args::is(a, "yes") {
        if st.flags & tflags::OPTIN == 0 {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if args::is(a, "no") {
        if st.flags & tflags::OPTOUT == 0 {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    st.flags |= tflags::CACHING;
    ctx.client.reply.ok();
    Ok(())
}

/// CLIENT GETREDIR
pub fn getredir_command(ctx: &mut Ctx) -> CmdResult {
    let v = match ctx.srv.tracking.state(ctx.client.id) {
        Some(st) => st.redirect as i64,
        None => -1,
    };
    ctx.client.reply.int(v);
    Ok(())
}

/// CLIENT TRACKINGINFO
pub fn trackinginfo_command(ctx: &mut Ctx) -> CmdResult {
    let st = ctx.srv.tracking.state(ctx.client.id);
    let mut flags: Vec<&[u8]> = Vec::new();
    let (redirect, prefixes) = match st {
        None => {
            flags.push(b"off");
            (-1, Vec::new())
        }
        Some(st) => {
            flags.push(b"on");
            let f = st.flags;
            let caching = f & tflags::CACHING != 0;
            if f & tflags::BCAST != 0 {
                flags.push(b"bcast");
            }
            if f & tflags::OPTIN != 0 {
                flags.push(b"optin");
                if caching {
                    flags.push(b"caching-yes");
                }
            }
            if f & tflags::OPTOUT != 0 {
                flags.push(b"optout");
                if caching {
                    flags.push(b"caching-no");
                }
            }
            if f & tflags::NOLOOP != 0 {
                flags.push(b"noloop");
            }
            if f & tflags::BROKEN_REDIR != 0 {
                flags.push(b"broken_redirect");
            }
            (
                st.redirect as i64,
                st.prefixes.iter().cloned().collect::<Vec<_>>(),
            )
        }
    };
    let r = &mut ctx.client.reply;
    r.map_len(3);
    r.bulk(b"flags");
    r.set_len(flags.len());
    for f in flags {
        r.bulk(f);
    }
    r.bulk(b"redirect");
    r.int(redirect);
    r.bulk(b"prefixes");
    r.array_len(prefixes.len());
    for p in &prefixes {
        r.bulk(p);
    }
    Ok(())
}

/// The `flags=` letters tracking adds to CLIENT LIST (`t`, `R`, `B`) and
/// the `redir=` value.
pub fn client_list_fields(srv: &crate::server::Server, id: u64) -> (String, i64) {
    match srv.tracking.state(id) {
        None => (String::new(), -1),
        Some(st) => {
            let mut s = String::from("t");
            if st.flags & tflags::BROKEN_REDIR != 0 {
                s.push('R');
            }
            if st.flags & tflags::BCAST != 0 {
                s.push('B');
            }
            (s, st.redirect as i64)
        }
    }
}

#[cfg(test)]
mod tests;
