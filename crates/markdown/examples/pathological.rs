//! Times `parse` on pathological inputs (deep nesting, unmatched delimiters, many
//! brackets); each should be linear. Run: `cargo run --release -p chat-markdown --example pathological`

fn main() {
    let cases: Vec<(&str, String)> = vec![
        ("quotes", ">".repeat(50_000)),
        ("lists", "- ".repeat(30_000) + "x"),
        ("stars", "*".repeat(50_000) + "a" + &"*".repeat(50_000)),
        ("open/close", "*a ".repeat(20_000) + &"b* ".repeat(20_000)),
        ("a*", "a* ".repeat(40_000)),
        ("a* x4", "a* ".repeat(160_000)),
        (
            "open/close x4",
            "*a ".repeat(80_000) + &"b* ".repeat(80_000),
        ),
        ("images x4", "![".repeat(80_000) + &"](x)".repeat(80_000)),
        (
            "brackets",
            "[".repeat(30_000) + "a" + &"](b)".repeat(30_000),
        ),
        ("images", "![".repeat(20_000) + &"](x)".repeat(20_000)),
        ("ticks", "`a``".repeat(20_000)),
        ("lt", "<a".repeat(30_000)),
        ("refdefs", "[a]: ".repeat(20_000)),
        (
            "distinct refdefs",
            (0..20_000)
                .map(|i| format!("[l{i}]: /u{i}\n"))
                .collect::<String>(),
        ),
        (
            "refdefs reversed",
            (0..20_000)
                .rev()
                .map(|i| format!("[l{i:05}]: /u\n"))
                .collect::<String>(),
        ),
        ("hardbreaks", "a  \n".repeat(20_000)),
        (
            "table",
            "| a ".repeat(5_000) + "\n" + &"|-".repeat(5_000) + "\n" + &"| b\n".repeat(500),
        ),
        ("underscores", "_a ".repeat(20_000) + &"a_ ".repeat(20_000)),
        ("unclosed links", "[a](".repeat(20_000)),
        ("entities", "&amp;".repeat(50_000)),
        ("unclosed comments", "<!--".repeat(50_000)),
        ("unclosed attrs", "<a x=\"".repeat(30_000)),
        ("open tags", "<a b='c' d=e>".repeat(20_000)),
    ];
    for (name, doc) in cases {
        let t = std::time::Instant::now();
        let b = chat_markdown::parse(&doc);
        println!(
            "{name:>15}: {:>8.1} ms ({} bytes, {} blocks)",
            t.elapsed().as_secs_f64() * 1e3,
            doc.len(),
            b.len()
        );
    }
}
