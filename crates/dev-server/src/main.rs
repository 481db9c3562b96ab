//! Development server: static files, scripted demo endpoint, key-holding proxy.

fn main() {}
