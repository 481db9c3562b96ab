//! Tool registry, argument validation and the built-in tools.
