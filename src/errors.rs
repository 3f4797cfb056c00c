//! Every error reply text, exactly as Redis 7.0 writes it (without the
//! leading `-` and trailing CRLF), and `CmdError`, the value command handlers
//! return instead of replying with an error themselves.
//!
//! Redis counterpart: the `shared.*err` objects in `server.c` and the
//! `addReplyError*` call sites.

use std::borrow::Cow;

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OUT_OF_RANGE_INDEX: &str = "ERR index out of range";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NAN_OR_INF: &str = "ERR increment would produce NaN or Infinity";
pub const DB_INDEX_OUT_OF_RANGE: &str = "ERR DB index is out of range";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// A write refused because memory is over `maxmemory` and nothing could
/// be evicted.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const BIT_OFFSET: &str = "ERR offset is out of range";
pub const POSITIVE: &str = "ERR value is out of range, must be positive";
pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
pub const LOADING: &str = "LOADING Redis is loading the dataset in memory";
pub const BUSYKEY: &str = "BUSYKEY Target key name already exists.";
pub const DEBUG_DISABLED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

/// An error a command handler reports; the dispatcher turns it into the
/// exact Redis error reply and counts it in `INFO errorstats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// `WRONGTYPE ...`
    WrongType,
    /// `ERR syntax error`
    Syntax,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR wrong number of arguments for '<name>' command`
    WrongArity(String),
    /// Any other error; the text includes its prefix (`ERR ...`).
    Custom(Cow<'static, str>),
}

impl CmdError {
    /// A custom error from a static text.
    pub const fn msg(text: &'static str) -> Self {
        CmdError::Custom(Cow::Borrowed(text))
    }

    /// A custom error from a formatted text (prefix included).
    pub fn owned(text: String) -> Self {
        CmdError::Custom(Cow::Owned(text))
    }

    /// The reply text, without the leading `-` and trailing CRLF.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            CmdError::WrongType => Cow::Borrowed(WRONGTYPE),
            CmdError::Syntax => Cow::Borrowed(SYNTAX),
            CmdError::NotInteger => Cow::Borrowed(NOT_INTEGER),
            CmdError::NotFloat => Cow::Borrowed(NOT_FLOAT),
            CmdError::NoSuchKey => Cow::Borrowed(NO_SUCH_KEY),
            CmdError::WrongArity(name) => Cow::Owned(wrong_arity(name)),
            CmdError::Custom(t) => Cow::Borrowed(t),
        }
    }
}

/// The arity error for a command (or `container|sub` subcommand).
pub fn wrong_arity(name: &str) -> String {
    format!("ERR wrong number of arguments for '{}' command", name)
}

/// The error for an unknown subcommand, naming the container's HELP.
pub fn unknown_subcommand(sub: &[u8], container: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(&truncate_arg(sub)),
        container.to_ascii_uppercase()
    ))
}

/// Redis truncates arguments echoed in error messages to 128 bytes and
/// replaces newlines with spaces so the error stays one line.
pub fn truncate_arg(arg: &[u8]) -> Vec<u8> {
    arg.iter()
        .take(128)
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}

/// The prefix that `INFO errorstats` counts an error under: its first word.
pub fn error_code(text: &str) -> &str {
    text.split(' ').next().unwrap_or("ERR")
}

pub type CmdResult = Result<(), CmdError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_redis() {
        assert_eq!(
            CmdError::WrongArity("get".into()).text(),
            "ERR wrong number of arguments for 'get' command"
        );
        assert_eq!(error_code(WRONGTYPE), "WRONGTYPE");
        assert_eq!(
            unknown_subcommand(b"foo", "config").text(),
            "ERR unknown subcommand 'foo'. Try CONFIG HELP."
        );
    }
}
