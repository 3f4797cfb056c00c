//! Pub/Sub load generator for `scripts/pubsub-bench.sh`: one publisher
//! and N subscribers on one channel, raw RESP over loopback TCP.
//!
//! The publisher sends `PUBLISH bench <size-byte message>` with a fixed
//! pipeline depth for `--seconds`, timing each PUBLISH from the write of
//! its batch to the read of its reply. Each subscriber thread counts the
//! bytes it receives (every message frame has the same length). Prints one
//! line: `published=.. delivered=.. secs=.. msgs_per_sec=.. p50_us=..
//! p99_us=..`, where msgs_per_sec is messages received by all subscribers
//! per second.
//!
//! Redis counterpart: none (redis-benchmark has no pub/sub test).
//!
//! Usage: `pubsub_bench --port P [--subscribers N] [--seconds S]
//! [--size BYTES] [--pipeline D]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    port: u16,
    subscribers: usize,
    seconds: f64,
    size: usize,
    pipeline: usize,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        port: 6379,
        subscribers: 1,
        seconds: 2.0,
        size: 64,
        pipeline: 16,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < args.len() {
        let v = &args[i + 1];
        let bad = || -> ! {
            eprintln!("pubsub_bench: bad value {} for {}", v, args[i]);
            std::process::exit(2)
        };
        match args[i].as_str() {
            "--port" => o.port = v.parse().unwrap_or_else(|_| bad()),
            "--subscribers" => o.subscribers = v.parse().unwrap_or_else(|_| bad()),
            "--seconds" => o.seconds = v.parse().unwrap_or_else(|_| bad()),
            "--size" => o.size = v.parse().unwrap_or_else(|_| bad()),
            "--pipeline" => o.pipeline = v.parse::<usize>().unwrap_or_else(|_| bad()).max(1),
            _ => bad(),
        }
        i += 2;
    }
    o
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("pubsub_bench: connect to {}: {}", port, e);
        std::process::exit(1)
    });
    let _ = s.set_nodelay(true);
    s
}

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one simple reply line (`:n`, `+OK`); bulk-free replies only.
fn read_line(r: &mut BufReader<TcpStream>, line: &mut Vec<u8>) {
    line.clear();
    if r.read_until(b'\n', line).unwrap_or(0) == 0 {
        eprintln!("pubsub_bench: server closed the publisher connection");
        std::process::exit(1)
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

fn main() {
    let o = parse_opts();
    const CHANNEL: &[u8] = b"bench";
    let payload = vec![b'x'; o.size];
    let frame_len = command(&[b"message", CHANNEL, &payload]).len() as u64;
    let delivered_bytes = Arc::new(AtomicU64::new(0));
    let last_rx_ns = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..o.subscribers {
        let mut s = connect(o.port);
        s.write_all(&command(&[b"SUBSCRIBE", CHANNEL]))
            .expect("send SUBSCRIBE");
        let confirm = command(&[b"subscribe", CHANNEL]).len() + 4;
        let mut first = vec![0u8; confirm];
        s.read_exact(&mut first).expect("read SUBSCRIBE reply");
        let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
        let (bytes, last, stop) = (delivered_bytes.clone(), last_rx_ns.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        bytes.fetch_add(n as u64, Ordering::Relaxed);
                        last.fetch_max(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    }
                    Err(_) if stop.load(Ordering::Relaxed) => break,
                    Err(_) => {}
                }
            }
        }));
    }
    let pub_conn = connect(o.port);
    let mut w = pub_conn.try_clone().expect("clone socket");
    let mut r = BufReader::with_capacity(64 * 1024, pub_conn);
    let batch: Vec<u8> = (0..o.pipeline)
        .flat_map(|_| command(&[b"PUBLISH", CHANNEL, &payload]))
        .collect();
    let mut lat_us: Vec<u64> = Vec::with_capacity(1 << 20);
    let mut line = Vec::new();
    let mut published = 0u64;
    let start = Instant::now();
    let start_ns = t0.elapsed().as_nanos() as u64;
    let run_for = Duration::from_secs_f64(o.seconds);
    while start.elapsed() < run_for {
        let sent = Instant::now();
        w.write_all(&batch).expect("send PUBLISH batch");
        for _ in 0..o.pipeline {
            read_line(&mut r, &mut line);
            lat_us.push(sent.elapsed().as_micros() as u64);
        }
        published += o.pipeline as u64;
    }
    // Let the subscribers drain what is in flight (up to 5 s).
    let expected = published * o.subscribers as u64 * frame_len;
    let drain_until = Instant::now() + Duration::from_secs(5);
    while delivered_bytes.load(Ordering::Relaxed) < expected && Instant::now() < drain_until {
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let delivered = delivered_bytes.load(Ordering::Relaxed) / frame_len;
    let end_ns = last_rx_ns.load(Ordering::Relaxed).max(start_ns + 1);
    let secs = (end_ns - start_ns) as f64 / 1e9;
    lat_us.sort_unstable();
    println!(
        "published={} delivered={} secs={:.3} msgs_per_sec={:.0} p50_us={} p99_us={}",
        published,
        delivered,
        secs,
        delivered as f64 / secs,
        percentile(&lat_us, 0.50),
        percentile(&lat_us, 0.99)
    );
}
