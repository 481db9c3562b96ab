//! Measures `image::data_url` / `parse_data_url` throughput natively on 10 MB of bytes.
//! Run: `cargo run --release -p chat-core --example base64_throughput`

use std::hint::black_box;
use std::time::Instant;

use chat_core::image::{data_url, parse_data_url};

fn main() {
    const LEN: usize = 10 * 1024 * 1024;
    const ROUNDS: u32 = 20;
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let bytes: Vec<u8> = (0..LEN)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let mb = LEN as f64 / 1e6;

    let start = Instant::now();
    let mut url = String::new();
    for _ in 0..ROUNDS {
        url = black_box(data_url("image/jpeg", black_box(&bytes)));
    }
    let encode = start.elapsed().as_secs_f64() / f64::from(ROUNDS);

    let start = Instant::now();
    for _ in 0..ROUNDS {
        let parsed = parse_data_url(black_box(&url)).map(|d| d.bytes.len());
        assert_eq!(parsed, Ok(LEN));
    }
    let decode = start.elapsed().as_secs_f64() / f64::from(ROUNDS);

    println!(
        "input {mb:.1} MB, data URL {:.1} MB",
        url.len() as f64 / 1e6
    );
    println!("encode: {:.2} ms, {:.0} MB/s", encode * 1e3, mb / encode);
    println!("decode: {:.2} ms, {:.0} MB/s", decode * 1e3, mb / decode);
}
