//! `ferredis-server`: the command-line entry point. Everything else lives
//! in the library.

#[global_allocator]
static GLOBAL: ferredis::sys::CountingAlloc = ferredis::sys::CountingAlloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(ferredis::server::startup::run(&args));
}
