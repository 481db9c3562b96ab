//! `dev-server` binary: reads the command line and environment, binds, prints one line
//! saying where everything is, and serves. Bad configuration exits non-zero, never panics.

use std::process::ExitCode;

use dev_server::config::{help_text, parse_args, Command, ENDPOINT_VAR};
use dev_server::{AllowedOrigins, ConfigError, ProxyConfig, ServerConfig};
use tokio::net::TcpListener;

/// Exit code for bad configuration.
const CONFIG_ERROR: u8 = 2;

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", help_text());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(options)) => options,
        Err(e) => return config_error(&e),
    };
    let proxy = match ProxyConfig::from_env() {
        Ok(proxy) => proxy,
        Err(e) => return config_error(&e),
    };
    if !options.dist.is_dir() {
        return config_error(&ConfigError::MissingDist(
            options.dist.display().to_string(),
        ));
    }
    let config = ServerConfig {
        host: options.host,
        port: options.port,
        dist: options.dist,
        demo: options.demo,
        proxy,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dev-server: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

fn config_error(error: &ConfigError) -> ExitCode {
    eprintln!("dev-server: {error}");
    ExitCode::from(CONFIG_ERROR)
}

async fn run(config: ServerConfig) -> ExitCode {
    let address = if config.host.contains(':') {
        format!("[{}]:{}", config.host, config.port)
    } else {
        format!("{}:{}", config.host, config.port)
    };
    let listener = match TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!(
                "dev-server: port {} is already in use on {} (another dev server running?); \
                 stop it or pass --port <n>",
                config.port, config.host
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("dev-server: cannot listen on {address}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map_or(config.port, |a| a.port());
    let origin = AllowedOrigins::new(&config.host, port);
    let proxy = match &config.proxy {
        Some(p) => format!("/proxy → {}", p.endpoint),
        None => format!("off, set {ENDPOINT_VAR} and AZURE_INFERENCE_CREDENTIAL to enable /proxy"),
    };
    println!(
        "foundry-chat dev server on {} (demo endpoint: /models, /v1, /v1/responses, key '{}'; \
         proxy: {proxy})",
        origin.primary(),
        config.demo.key
    );
    if config.proxy.is_some() && !is_loopback(&config.host) {
        eprintln!(
            "dev-server: warning: listening on {} with the proxy on; only loopback origins may \
             use it, but keep the host on loopback when you can",
            config.host
        );
    }
    match dev_server::serve(listener, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dev-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
