//! What the HTTP test suites share: the server started in-process on an ephemeral port.

use dev_server::ServerConfig;
use tokio::net::TcpListener;

/// Starts the server with `config` on a free loopback port; its base URL.
pub async fn start(config: ServerConfig) -> String {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(dev_server::serve(listener, config));
    format!("http://{addr}")
}
