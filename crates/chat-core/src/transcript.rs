//! Transcript entries: wire messages plus client metadata.
