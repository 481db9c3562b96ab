//! Folding decoded stream events into the assistant reply.
