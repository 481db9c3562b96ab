//! Server-sent events decoder (WHATWG "event stream interpretation").
