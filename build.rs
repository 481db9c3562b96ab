//! Build script: writes the component's stylesheet to `OUT_DIR` without its comments and
//! insignificant spaces, for `ui::STYLES` (the wasm carries it as a string). The browser reads
//! both versions as the same rules (wasm test `the_minified_stylesheet_has_the_source_rules`).

use std::path::Path;

const SOURCE: &str = "style/component.css";

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    let css = std::fs::read_to_string(SOURCE).expect("style/component.css is readable");
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("component.css");
    std::fs::write(out, minify(&css)).expect("OUT_DIR is writable");
}

/// Drops comments, turns each run of white space into one space, and drops that space next
/// to `{`, `}`, `;` and `>`, after `:` and at either end; a `;` just before `}` goes too. Quoted
/// strings are copied as they are. (A space before `:` or next to `+`, `(` and `)` can be
/// significant in selectors and `calc()`; one after `,` is kept as written in `var()`
/// fallbacks, which the browser keeps as written.)
fn minify(css: &str) -> String {
    const TIGHT: &[char] = &['{', '}', ';', '>'];
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                space = true;
            }
            c if c.is_whitespace() => space = true,
            c => {
                let before = out.chars().last();
                let tight_before = |b: char| TIGHT.contains(&b) || b == ':';
                if space && !TIGHT.contains(&c) && before.is_some_and(|b| !tight_before(b)) {
                    out.push(' ');
                }
                space = false;
                if c == '}' && out.ends_with(';') {
                    out.pop();
                }
                out.push(c);
                if c == '"' || c == '\'' {
                    let mut escaped = false;
                    for s in chars.by_ref() {
                        out.push(s);
                        if !escaped && s == c {
                            break;
                        }
                        escaped = !escaped && s == '\\';
                    }
                }
            }
        }
    }
    out
}
