//! Endpoint URLs, headers and bodies for each API style.
