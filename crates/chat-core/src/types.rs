//! Wire types of the chat-completions protocol.
