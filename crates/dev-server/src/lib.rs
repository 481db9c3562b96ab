//! foundry-chat's development server: the built app, an offline scripted demo endpoint
//! (both API styles) and a proxy that keeps a real endpoint's key out of the browser.

pub mod config;
pub mod demo;
pub mod proxy;
mod static_files;

use axum::Router;
use tokio::net::TcpListener;

pub use config::{ConfigError, DemoConfig, ProxyConfig, ServerConfig};
pub use proxy::AllowedOrigins;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("could not set up the proxy's HTTP client: {0}")]
    ProxyClient(#[from] reqwest::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// All routes: demo endpoint, proxy, and the app's static files as the fallback.
pub fn app(config: &ServerConfig, origins: AllowedOrigins) -> Result<Router, ServeError> {
    Ok(Router::new()
        .merge(demo::router(config.demo.clone()))
        .merge(proxy::router(config.proxy.clone(), origins)?)
        .fallback_service(static_files::router(&config.dist)))
}

/// Serves `config` on an already bound listener until the process ends.
pub async fn serve(listener: TcpListener, config: ServerConfig) -> Result<(), ServeError> {
    let port = listener.local_addr()?.port();
    let router = app(&config, AllowedOrigins::new(&config.host, port))?;
    axum::serve(listener, router).await?;
    Ok(())
}
