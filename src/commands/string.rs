//! String commands: GET SET and friends.
//!
//! Redis counterpart: `t_string.c`.

use super::spec::{cmd, keys, CommandSpec, Group};
use super::{expect_string, Ctx};
use crate::commands::flags::*;
use crate::errors::CmdResult;
use crate::types::Value;

const STR: Group = Group::String;

pub static COMMANDS: &[CommandSpec] = &[
    cmd("get", 2, READONLY | FAST, keys(1, 1, 1), STR, get_command),
    cmd("set", -3, WRITE | DENYOOM, keys(1, 1, 1), STR, set_command),
];

/// GET key
pub fn get_command(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    match ctx.srv.lookup_read(db, ctx.argv[1]) {
        None => ctx.client.reply.null(),
        Some(v) => {
            expect_string(v)?;
            match v {
                Value::Int(n) => ctx.client.reply.bulk_i64(*n),
                other => ctx.client.reply.bulk(other.str_bytes().unwrap_or_default()),
            }
        }
    }
    Ok(())
}

/// SET key value (options to come)
pub fn set_command(ctx: &mut Ctx) -> CmdResult {
    let (key, val) = (ctx.argv[1], ctx.argv[2]);
    ctx.db().set(key, Value::string(val), false);
    ctx.key_modified(key);
    ctx.client.reply.ok();
    Ok(())
}
