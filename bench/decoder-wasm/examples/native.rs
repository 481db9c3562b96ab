//! Native throughput of the same decode + accumulate path: `cargo run --release --example
//! native -- [--responses] <stream.sse> [iterations]` prints MB/s (best of the iterations: on
//! a shared machine noise only adds time). `--responses` reads the file as a Responses API
//! stream (`ResponsesAccumulator`); without it, as chat completions.

use std::time::Instant;

use decoder_wasm::Style;

fn main() {
    let mut style = Style::Chat;
    let mut positional = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--responses" {
            style = Style::Responses;
        } else {
            positional.push(arg);
        }
    }
    let mut positional = positional.into_iter();
    let Some(path) = positional.next() else {
        eprintln!("usage: native [--responses] <stream.sse> [iterations]");
        std::process::exit(2);
    };
    let iterations: usize = positional.next().and_then(|n| n.parse().ok()).unwrap_or(15);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let (best, content) = best_ms(iterations, || {
        decoder_wasm::decode_chunked(&bytes, decoder_wasm::CHUNK_BYTES, style)
    });
    let (framing, events) = best_ms(iterations, || decoder_wasm::frame_only(&bytes));
    let mb_per_s = bytes.len() as f64 / 1e6 / (best / 1000.0);
    println!(
        "{{\"bytes\":{},\"events\":{events},\"content_bytes\":{content},\"best_ms\":{best:.3},\"framing_ms\":{framing:.3},\"mb_per_s\":{mb_per_s:.1}}}",
        bytes.len()
    );
}

/// Best wall time of `iterations` calls of `f` (at least one), and its last result.
fn best_ms(iterations: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::with_capacity(iterations.max(1));
    let mut result = 0;
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        result = f();
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[0], result)
}
