//! The only module allowed to use `unsafe`: thin wrappers over libc for the
//! process-level facilities a Redis server needs (signals, rlimits, fork,
//! rusage, local time) and the counting global allocator behind
//! `INFO memory`'s `used_memory`.
//!
//! Redis counterparts: `zmalloc.c` (allocation accounting), `debug.c`
//! (crash report), parts of `server.c` (signal setup, rlimits).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};

/// Bytes currently allocated through the global allocator.
static USED_MEMORY: AtomicUsize = AtomicUsize::new(0);

/// The system allocator with a running byte count, so `used_memory` is
/// what the process really asked for rather than an estimate.
pub struct CountingAlloc;

// SAFETY: every method forwards to `System` with the caller's layout and
// only adds bookkeeping on an atomic counter.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            USED_MEMORY.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            USED_MEMORY.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        USED_MEMORY.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            USED_MEMORY.fetch_add(new_size, Ordering::Relaxed);
            USED_MEMORY.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

/// Bytes currently allocated by the process (Redis's `used_memory`).
pub fn used_memory() -> usize {
    USED_MEMORY.load(Ordering::Relaxed)
}

/// Name of the allocator for `INFO memory`'s `mem_allocator`.
pub const MEM_ALLOCATOR: &str = "libc";

/// The process id.
pub fn getpid() -> i32 {
    std::process::id() as i32
}

/// Resident set size in bytes, read from `/proc/self/statm`.
pub fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

/// The system page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

/// CPU time used by this process: (user, system) in microseconds.
pub fn cpu_usage() -> (i64, i64) {
    rusage(libc::RUSAGE_SELF)
}

/// CPU time used by reaped children: (user, system) in microseconds.
pub fn cpu_usage_children() -> (i64, i64) {
    rusage(libc::RUSAGE_CHILDREN)
}

fn rusage(who: libc::c_int) -> (i64, i64) {
    // SAFETY: an all-zero rusage is a valid value, and getrusage only writes
    // into the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    unsafe { libc::getrusage(who, &mut ru) };
    let us = |tv: libc::timeval| tv.tv_sec * 1_000_000 + tv.tv_usec;
    (us(ru.ru_utime), us(ru.ru_stime))
}

/// Local broken-down time for a Unix timestamp in seconds:
/// (year, month 0-11, day, hour, minute, second).
pub fn localtime(secs: i64) -> (i32, i32, i32, i32, i32, i32) {
    // SAFETY: an all-zero tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: both pointers refer to live, properly aligned locals.
    unsafe { libc::localtime_r(&t, &mut tm) };
    (
        tm.tm_year + 1900,
        tm.tm_mon,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
    )
}

/// Outcome of `raise_nofile_limit`.
#[derive(Debug, Clone, Copy)]
pub struct NofileLimit {
    /// The soft limit before the call.
    pub original: u64,
    /// The soft limit in force afterwards.
    pub current: u64,
    /// errno of the last refused `setrlimit` (0 if none was refused).
    pub errno: i32,
}

/// Raises RLIMIT_NOFILE towards `wanted` the way Redis's
/// `adjustOpenFilesLimit` does: try `wanted`, then 16 less at a time, never
/// going below the original limit. None when the limit can't be read.
pub fn raise_nofile_limit(wanted: u64) -> Option<NofileLimit> {
    // SAFETY: an all-zero rlimit is a valid value.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `lim` is a valid, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    let original = lim.rlim_cur;
    let mut out = NofileLimit {
        original,
        current: original,
        errno: 0,
    };
    if original >= wanted {
        return Some(out);
    }
    let mut best = wanted;
    while best > original {
        let new = libc::rlimit {
            rlim_cur: best,
            rlim_max: best,
        };
        // SAFETY: `new` is a valid rlimit value.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0 {
            break;
        }
        out.errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        if best < 16 {
            best = original;
            break;
        }
        best -= 16;
    }
    out.current = best.max(original);
    Some(out)
}

/// Set by SIGTERM/SIGINT; the reactor polls it each iteration.
static SHUTDOWN_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// The descriptor crash reports are written to (stdout or the logfile).
static CRASH_LOG_FD: AtomicI32 = AtomicI32::new(1);
/// Whether a crash report is already being written.
static CRASHING: AtomicBool = AtomicBool::new(false);
/// The version string printed in crash reports.
static mut CRASH_VERSION: [u8; 32] = [0; 32];

/// Appends the decimal digits of `v` through `push`, with no allocation
/// (async-signal-safe, for signal handlers).
fn push_decimal(v: u64, push: &mut dyn FnMut(&[u8])) {
    let mut digits = [0u8; 20];
    let mut d = digits.len();
    let mut v = v;
    loop {
        d -= 1;
        digits[d] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    push(&digits[d..]);
}

extern "C" fn on_shutdown_signal(sig: libc::c_int) {
    SHUTDOWN_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Takes the pending shutdown signal (SIGTERM/SIGINT), if any.
pub fn take_shutdown_signal() -> Option<i32> {
    match SHUTDOWN_SIGNAL.swap(0, Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Point crash reports at `fd` (1 for stdout, or the logfile's descriptor).
pub fn set_crash_log_fd(fd: i32) {
    CRASH_LOG_FD.store(fd, Ordering::SeqCst);
}

fn write_fd(fd: i32, bytes: &[u8]) {
    // SAFETY: the buffer is valid for its length; a short or failed write
    // during a crash report is acceptable.
    unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

/// Writes the crash report header: Redis's bug report banner with the
/// signal number. Async-signal-safe: only `write(2)` and stack buffers.
pub fn write_crash_report(sig: i32, what: &str) {
    if CRASHING.swap(true, Ordering::SeqCst) {
        return;
    }
    let fd = CRASH_LOG_FD.load(Ordering::SeqCst);
    let mut buf = [0u8; 512];
    let mut n = 0;
    let mut push = |s: &[u8]| {
        for &b in s {
            if n < buf.len() {
                buf[n] = b;
                n += 1;
            }
        }
    };
    push(b"\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
    push(b"ferredis crashed by signal: ");
    push_decimal(u64::from(sig.unsigned_abs()), &mut push);
    push(b"\n");
    push(what.as_bytes());
    push(b"\nferredis version: ");
    // SAFETY: CRASH_VERSION is written once at start-up before any signal
    // handler is installed and only read afterwards.
    let version = unsafe { &*std::ptr::addr_of!(CRASH_VERSION) };
    let vlen = version
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(version.len());
    push(&version[..vlen]);
    push(b"\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n");
    write_fd(fd, &buf[..n]);
}

extern "C" fn on_crash_signal(sig: libc::c_int) {
    write_crash_report(sig, "------ STACK TRACE ------ (not available)");
    // SAFETY: restoring the default disposition and re-raising is the
    // documented way to die with the original signal.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Installs the signal handlers a Redis server has: SIGTERM/SIGINT schedule
/// a shutdown, SIGPIPE is ignored, crash signals write a bug report.
pub fn install_signal_handlers(version: &str) {
    // SAFETY: written once, before handlers that read it exist.
    unsafe {
        let dst = &mut *std::ptr::addr_of_mut!(CRASH_VERSION);
        let n = version.len().min(dst.len() - 1);
        dst[..n].copy_from_slice(&version.as_bytes()[..n]);
    }
    // SAFETY: installing handlers that are async-signal-safe (an atomic
    // store, or write(2) followed by re-raising).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        let term = on_shutdown_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGTERM, term);
        libc::signal(libc::SIGINT, term);
        let crash = on_crash_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        for sig in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGILL,
            libc::SIGABRT,
        ] {
            libc::signal(sig, crash);
        }
    }
}

/// Crash on purpose with SIGSEGV (`DEBUG SEGFAULT`).
pub fn segfault() -> ! {
    // SAFETY: raising a signal has no memory-safety preconditions; the
    // crash handler reports and the default action ends the process.
    unsafe {
        libc::raise(libc::SIGSEGV);
    }
    std::process::abort()
}

/// Kill the process with SIGABRT after a panic has been reported.
pub fn abort() -> ! {
    CRASHING.store(true, Ordering::SeqCst);
    std::process::abort()
}

/// Detach from the terminal as `daemonize yes` does: fork, let the parent
/// exit, and start a new session in the child.
pub fn daemonize() {
    // SAFETY: called at start-up while the process has only one thread.
    unsafe {
        match libc::fork() {
            -1 => {}
            0 => {
                libc::setsid();
                let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if fd >= 0 {
                    libc::dup2(fd, 0);
                    libc::dup2(fd, 1);
                    libc::dup2(fd, 2);
                    if fd > 2 {
                        libc::close(fd);
                    }
                }
            }
            _ => libc::_exit(0),
        }
    }
}

/// Whether a file descriptor is a terminal.
pub fn isatty(fd: i32) -> bool {
    // SAFETY: isatty has no memory-safety preconditions.
    unsafe { libc::isatty(fd) == 1 }
}

/// Creates a non-blocking listening TCP socket the way Redis does:
/// SO_REUSEADDR, IPV6_V6ONLY for IPv6 addresses (so `*` and `::*` can
/// share a port), and the configured `tcp-backlog`.
pub fn listen_tcp(
    addr: std::net::SocketAddr,
    backlog: i32,
) -> std::io::Result<std::net::TcpListener> {
    use std::os::fd::FromRawFd;
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket(2) call; the descriptor is owned below.
    let fd = unsafe {
        libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh socket we own; from here on the listener
    // closes it on every path (including errors) when dropped.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    let optlen = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `one` outlives the call and `optlen` is its size.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            optlen,
        );
    }
    let rc = match addr {
        std::net::SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sin` is a valid sockaddr_in for the call's duration.
            unsafe {
                libc::bind(
                    fd,
                    (&sin as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        }
        std::net::SocketAddr::V6(a) => {
            // SAFETY: `one` outlives the call and `optlen` is its size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::IPPROTO_IPV6,
                    libc::IPV6_V6ONLY,
                    (&one as *const libc::c_int).cast(),
                    optlen,
                );
            }
            // SAFETY: an all-zero sockaddr_in6 is valid; fields set below.
            let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_addr.s6_addr = a.ip().octets();
            sin6.sin6_scope_id = a.scope_id();
            // SAFETY: `sin6` is a valid sockaddr_in6 for the call's duration.
            unsafe {
                libc::bind(
                    fd,
                    (&sin6 as *const libc::sockaddr_in6).cast(),
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: listen(2) on a bound socket we own.
    if unsafe { libc::listen(fd, backlog.max(1)) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(listener)
}

/// Enables TCP keepalive with Redis's timings (`tcp-keepalive` seconds
/// idle, interval a third of that, 3 probes). 0 disables nothing.
pub fn set_keepalive(sock: &impl std::os::fd::AsRawFd, secs: u64) {
    if secs == 0 {
        return;
    }
    let fd = sock.as_raw_fd();
    let set = |level: libc::c_int, name: libc::c_int, v: libc::c_int| {
        // SAFETY: `v` outlives the call and the length is its size.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    let secs = secs.min(i32::MAX as u64) as libc::c_int;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1));
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

/// Puts the calling thread in the `SCHED_IDLE` class (only run when a CPU
/// has nothing else to do), falling back to nice 19, so helper threads
/// (lazy free) never delay the reactor on a busy machine.
pub fn lower_thread_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param for the duration of the call;
    // pid 0 is the calling thread, whose scheduling class alone changes.
    let idle = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0;
    if !idle {
        // SAFETY: gettid has no preconditions; setpriority only changes the
        // scheduling priority of this thread (Linux treats the tid as a
        // process id for PRIO_PROCESS).
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 19);
        }
    }
}

/// Gives the pages inside `[ptr, ptr + len)` back to the kernel a few
/// megabytes at a time (`MADV_DONTNEED`), so that freeing a huge block
/// afterwards does not stall other threads on one long unmap. Only whole
/// pages strictly inside the range are touched, so an allocator header
/// just before `ptr` is never affected.
///
/// The caller must own the memory and hold no live values in it: its
/// contents read as zeros afterwards.
pub fn release_pages_gradually(ptr: *const u8, len: usize) {
    const CHUNK: usize = 4 << 20;
    let page = page_size();
    let start = (ptr as usize).div_ceil(page) * page;
    let end = (ptr as usize + len) / page * page;
    let mut at = start;
    while at < end {
        let n = CHUNK.min(end - at);
        // SAFETY: [at, at + n) is whole pages inside a block the caller
        // owns and holds no live values in; MADV_DONTNEED only drops their
        // contents (they read back as zeros) and cannot unmap them.
        unsafe {
            libc::madvise(at as *mut libc::c_void, n, libc::MADV_DONTNEED);
        }
        at += n;
        std::thread::yield_now();
    }
}

/// Which side of a `fork()` the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// In the new child process.
    Child,
    /// In the parent; the child's pid.
    Parent(i32),
}

/// Forks the process (BGSAVE, BGREWRITEAOF, replication transfers). The
/// child has only the calling thread; it must finish with `exit_child`.
pub fn fork() -> std::io::Result<Forked> {
    // SAFETY: fork has no memory-safety preconditions; the child only
    // touches memory it inherited and leaves through `_exit`, so no other
    // thread's state (helper threads do not exist there) is relied on.
    match unsafe { libc::fork() } {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// Ends a forked child at once with `code`, without running destructors or
/// atexit handlers that belong to the parent (Redis's `exitFromChild`).
pub fn exit_child(code: i32) -> ! {
    // SAFETY: _exit never returns and has no preconditions.
    unsafe { libc::_exit(code) }
}

/// How a reaped child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildExit {
    /// The child's pid.
    pub pid: i32,
    /// Its exit code (when it exited).
    pub code: i32,
    /// The signal that killed it, or 0.
    pub signal: i32,
}

/// Reaps one finished child without blocking (`waitpid(-1, WNOHANG)`).
pub fn reap_child() -> Option<ChildExit> {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer for the duration of the call.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    if pid <= 0 {
        return None;
    }
    let (code, signal) = if libc::WIFEXITED(status) {
        (libc::WEXITSTATUS(status), 0)
    } else if libc::WIFSIGNALED(status) {
        (-1, libc::WTERMSIG(status))
    } else {
        (-1, 0)
    };
    Some(ChildExit { pid, code, signal })
}

/// Waits for the child `pid` to end (used after killing it).
pub fn wait_child(pid: i32) {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer for the duration of the call.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: i32) -> bool {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(pid, sig) == 0 }
}

/// The number of the signal SIGUSR1 (a child killed with it is not an
/// error, as in Redis).
pub const SIGUSR1: i32 = libc::SIGUSR1;

/// Closes a raw descriptor the caller owns (a forked child closing the
/// listening sockets it inherited, so a restarted server can bind again).
pub fn close_fd(fd: i32) {
    // SAFETY: closing a descriptor has no memory-safety preconditions; the
    // caller guarantees nothing in this process uses `fd` afterwards.
    unsafe { libc::close(fd) };
}

/// The process's argv string area, as the kernel reports it
/// (`arg_start`, `arg_end`: fields 48 and 49 of `/proc/self/stat`).
fn argv_area() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the ")" that closes the command name start at field 3.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(48 - 3);
    let start: usize = fields.next()?.parse().ok()?;
    let end: usize = fields.next()?.parse().ok()?;
    (end > start + 1).then_some((start, end))
}

/// Sets the process title `ps` shows (`/proc/<pid>/cmdline`) by
/// overwriting the argv strings in place, as Redis's `setproctitle` does;
/// a title longer than the original arguments is cut to fit. Call only
/// after the arguments have been parsed: argv reads the title afterwards.
pub fn set_proc_title(title: &str) -> bool {
    let Some((start, end)) = argv_area() else {
        return false;
    };
    let room = end - start;
    let n = title.len().min(room - 1);
    // SAFETY: [start, end) is this process's own argv string area, which
    // the kernel maps read-write at the top of the main stack and reports
    // in /proc/self/stat; nothing holds a Rust reference into it (the
    // arguments were copied into Strings at start-up), and the writes stay
    // inside it: `n + (room - n) == room` bytes from `start`.
    unsafe {
        let dst = start as *mut u8;
        std::ptr::copy_nonoverlapping(title.as_ptr(), dst, n);
        std::ptr::write_bytes(dst.add(n), 0, room - n);
    }
    true
}

/// The exit code of a child that ended on SIGUSR1 through its handler
/// (Redis's `SERVER_CHILD_NOERROR_RETVAL`): the parent treats it as killed
/// by SIGUSR1, which is not an error.
pub const CHILD_NOERROR_EXIT: i32 = 255;

extern "C" fn on_child_sigusr1(_sig: libc::c_int) {
    // Redis's serverLogFromHandler format, built on the stack.
    let mut buf = [0u8; 128];
    let mut n = 0;
    let mut push = |s: &[u8]| {
        for &b in s {
            if n < buf.len() {
                buf[n] = b;
                n += 1;
            }
        }
    };
    let num = push_decimal;
    // SAFETY: getpid and time(NULL) are async-signal-safe.
    let (pid, now) = unsafe { (libc::getpid(), libc::time(std::ptr::null_mut())) };
    num(pid.max(0) as u64, &mut push);
    push(b":signal-handler (");
    num(now.max(0) as u64, &mut push);
    push(b") Received SIGUSR1 in child, exiting now.\n");
    write_fd(CRASH_LOG_FD.load(Ordering::SeqCst), &buf[..n]);
    exit_child(CHILD_NOERROR_EXIT)
}

/// In a forked child: SIGUSR1 (how the server stops it) logs Redis's line
/// and exits with `CHILD_NOERROR_EXIT`.
pub fn install_child_sigusr1_handler() {
    let h = on_child_sigusr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only formats on the stack, calls write(2) and
    // _exit(2), all async-signal-safe.
    unsafe {
        libc::signal(libc::SIGUSR1, h);
    }
}
