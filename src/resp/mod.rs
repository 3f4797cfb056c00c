//! The RESP codec: the request parser and the reply writer. Knows nothing
//! about commands.

pub mod parser;
pub mod reply;
