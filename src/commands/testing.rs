//! In-process command harness for unit tests (Dragonfly's fixture idea):
//! a `Server` and one detached client, `run(&["set", "k", "v"])` returns
//! the raw reply bytes, `advance_ms` moves the cached clock. No sockets.

use super::process_command;
use crate::config::Config;
use crate::server::client::{Client, Conn};
use crate::server::Server;

/// A server plus one client, driven without sockets.
pub struct Harness {
    pub srv: Server,
    pub client: Box<Client>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A fresh server with the default configuration, save points
    /// excepted (`save ""`, so FLUSHALL does not write a dump into the
    /// working directory).
    pub fn new() -> Self {
        let mut config = Config::default();
        config.save.clear();
        Self::with_config(config)
    }

    /// A fresh server with `config`.
    pub fn with_config(config: Config) -> Self {
        let mut srv = Server::new(config);
        let id = srv.next_client_id;
        srv.next_client_id += 1;
        let mut client = Box::new(Client::new(
            id,
            usize::MAX,
            Conn::Detached,
            "127.0.0.1:1".into(),
            "127.0.0.1:6379".into(),
            srv.now_ms,
        ));
        client.authenticated = true;
        Harness { srv, client }
    }

    /// Runs one command and returns its raw reply bytes.
    pub fn run(&mut self, args: &[&str]) -> Vec<u8> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.run_bytes(&argv)
    }

    /// Runs one command with binary arguments.
    pub fn run_bytes(&mut self, argv: &[&[u8]]) -> Vec<u8> {
        self.client.reply.buf.clear();
        self.client.reply.sent = 0;
        process_command(&mut self.srv, &mut self.client, argv);
        self.srv.pending_writes.clear();
        std::mem::take(&mut self.client.reply.buf)
    }

    /// Runs one command and returns the reply as a string (lossy).
    pub fn run_str(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.run(args)).into_owned()
    }

    /// Moves the cached clock forward (expiry tests).
    pub fn advance_ms(&mut self, ms: i64) {
        self.srv.now_ms += ms;
        self.srv.now_us += ms * 1000;
        self.srv.keyspace.set_clock(self.srv.now_ms);
    }
}

/// A propagation sink that records what it is fed, as `db:ARG ARG` lines.
pub struct Recorder(pub std::rc::Rc<std::cell::RefCell<Vec<String>>>);

impl crate::server::propagate::PropagationSink for Recorder {
    fn feed(&mut self, ops: &[crate::server::propagate::Op]) {
        for op in ops {
            let args: Vec<String> = op
                .argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            self.0
                .borrow_mut()
                .push(format!("{}:{}", op.db, args.join(" ")));
        }
    }
}

/// A harness whose propagated stream is recorded.
pub fn recording() -> (Harness, std::rc::Rc<std::cell::RefCell<Vec<String>>>) {
    let mut h = Harness::new();
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    h.srv
        .propagation
        .sinks
        .push(Box::new(Recorder(log.clone())));
    (h, log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harness_runs_commands() {
        let mut h = Harness::new();
        assert_eq!(h.run_str(&["set", "k", "v"]), "+OK\r\n");
        assert_eq!(h.run_str(&["get", "k"]), "$1\r\nv\r\n");
        assert_eq!(
            h.run_str(&["get"]),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(
            h.run_str(&["nosuch", "a"]),
            "-ERR unknown command 'nosuch', with args beginning with: 'a' \r\n"
        );
    }
}
