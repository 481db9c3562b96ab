//! Strips metadata from image files: `strip_metadata IN OUT [IN OUT]...`, printing
//! the type, dimensions, sizes and time (used to check results with an external decoder).
//! Run: `cargo run -p chat-core --example strip_metadata -- in.jpg out.jpg`

use chat_core::image::{classify, dimensions, strip_metadata};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || !args.len().is_multiple_of(2) {
        return Err("usage: strip_metadata IN OUT [IN OUT]...".into());
    }
    for pair in args.chunks_exact(2) {
        let input = std::fs::read(&pair[0])?;
        let image_type = classify(&input)?;
        let (w, h) = dimensions(&input)?;
        let start = std::time::Instant::now();
        let output = strip_metadata(&input)?;
        let elapsed = start.elapsed();
        std::fs::write(&pair[1], &output)?;
        println!(
            "{}: {image_type} {w}x{h}, {} -> {} bytes in {:.2} ms",
            pair[0],
            input.len(),
            output.len(),
            elapsed.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
