//! Image bytes: type sniffing, dimensions, metadata removal and data URLs.
