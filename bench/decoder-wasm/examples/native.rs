//! Native throughput of the same decode + accumulate path: `cargo run --release --example
//! native -- <stream.sse> [iterations]` prints MB/s (median of the iterations).

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: native <stream.sse> [iterations]");
        std::process::exit(2);
    };
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(15);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let (median, content) = median_ms(iterations, || decoder_wasm::decode(&bytes));
    let (framing, _) = median_ms(iterations, || decoder_wasm::frame_only(&bytes));
    let mb_per_s = bytes.len() as f64 / 1e6 / (median / 1000.0);
    println!(
        "{{\"bytes\":{},\"content_bytes\":{content},\"median_ms\":{median:.3},\"framing_ms\":{framing:.3},\"mb_per_s\":{mb_per_s:.1}}}",
        bytes.len()
    );
}

/// Median wall time of `iterations` calls of `f` (at least one), and its last result.
fn median_ms(iterations: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(iterations.max(1));
    let mut result = 0;
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        result = f();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], result)
}
