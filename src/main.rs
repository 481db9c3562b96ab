//! foundry-chat: defines the `<foundry-chat>` custom element; the standalone page uses it too.

mod client;
mod element;
mod session;
mod settings;
mod ui;

fn main() {
    element::define();
}
