//! Start-up configuration: the command line and the proxy's environment variables,
//! validated into typed values with errors meant to be read by a person.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

use crate::demo::script::TRIGGERS;

/// Environment variable holding the real endpoint the proxy forwards to.
pub const ENDPOINT_VAR: &str = "AZURE_INFERENCE_ENDPOINT";
/// Environment variable holding the key the proxy adds server-side.
pub const CREDENTIAL_VAR: &str = "AZURE_INFERENCE_CREDENTIAL";

/// Everything the server needs to run, already validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Host name or IP address to listen on; also names the app's own origin.
    pub host: String,
    /// Port to listen on (0 picks a free one).
    pub port: u16,
    /// Directory with the built app (`trunk build` output).
    pub dist: PathBuf,
    /// Settings of the scripted demo endpoint.
    pub demo: DemoConfig,
    /// The proxy to a real endpoint, when configured.
    pub proxy: Option<ProxyConfig>,
}

/// Settings of the scripted demo endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// The key clients must send (`api-key` header or `Authorization: Bearer`).
    pub key: String,
    /// Pause between streamed tokens.
    pub delay: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            key: DEFAULT_DEMO_KEY.to_owned(),
            delay: Duration::from_millis(DEFAULT_DELAY_MS),
        }
    }
}

/// The real endpoint and its key. `Debug` never shows the key.
#[derive(Clone)]
pub struct ProxyConfig {
    /// Base URL requests under `/proxy/` are appended to.
    pub endpoint: Url,
    credential: String,
}

impl ProxyConfig {
    /// Builds a proxy configuration from an endpoint URL and a key.
    pub fn new(endpoint: &str, credential: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(endpoint.trim()).map_err(|e| ConfigError::InvalidEndpoint {
            value: endpoint.to_owned(),
            reason: e.to_string(),
        })?;
        let invalid = |reason: &str| ConfigError::InvalidEndpoint {
            value: endpoint.to_owned(),
            reason: reason.to_owned(),
        };
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(invalid("the scheme must be https (or http)"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "it must be a base URL without a query or fragment (the client adds ?api-version=…)",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain credentials"));
        }
        let credential = credential.trim();
        if credential.is_empty() {
            return Err(ConfigError::MissingProxyVar(CREDENTIAL_VAR));
        }
        if reqwest::header::HeaderValue::from_str(credential).is_err() {
            return Err(ConfigError::InvalidCredential);
        }
        Ok(Self {
            endpoint: url,
            credential: credential.to_owned(),
        })
    }

    /// Reads the proxy configuration from the two environment variables' values:
    /// both unset (or empty) means no proxy; one without the other is an error.
    pub fn from_env_values(
        endpoint: Option<String>,
        credential: Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let endpoint = endpoint.filter(|v| !v.trim().is_empty());
        let credential = credential.filter(|v| !v.trim().is_empty());
        match (endpoint, credential) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(ConfigError::MissingProxyVar(CREDENTIAL_VAR)),
            (None, Some(_)) => Err(ConfigError::MissingProxyVar(ENDPOINT_VAR)),
            (Some(e), Some(c)) => Self::new(&e, &c).map(Some),
        }
    }

    /// Reads the proxy configuration from the process environment.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from_env_values(
            std::env::var(ENDPOINT_VAR).ok(),
            std::env::var(CREDENTIAL_VAR).ok(),
        )
    }

    pub(crate) fn credential(&self) -> &str {
        &self.credential
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("endpoint", &self.endpoint.as_str())
            .field("credential", &"<redacted>")
            .finish()
    }
}

/// A configuration the server refuses to start with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("unknown argument '{0}' (see --help)")]
    UnknownArgument(String),
    #[error("{0} needs a value (see --help)")]
    MissingValue(&'static str),
    #[error("invalid value '{value}' for {flag}: {reason}")]
    InvalidValue {
        flag: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error(
        "{ENDPOINT_VAR} is not a valid endpoint URL ('{value}': {reason}); \
         expected e.g. https://<resource>.services.ai.azure.com/models"
    )]
    InvalidEndpoint { value: String, reason: String },
    #[error(
        "the proxy needs both {ENDPOINT_VAR} and {CREDENTIAL_VAR}; {0} is not set \
         (unset both to run without the proxy)"
    )]
    MissingProxyVar(&'static str),
    #[error("{CREDENTIAL_VAR} contains characters that cannot be sent in an HTTP header")]
    InvalidCredential,
    #[error(
        "the app directory '{0}' does not exist; build the app first (trunk build --release) \
         or pass --dist <dir>"
    )]
    MissingDist(String),
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print the help text and exit.
    Help,
    /// Run the server with these settings (the proxy comes from the environment).
    Run(CliOptions),
}

/// The command-line options, before the environment and file system are consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOptions {
    pub host: String,
    pub port: u16,
    pub dist: PathBuf,
    pub demo: DemoConfig,
}

/// Default demo key, documented in `--help` and DEMO.md.
pub const DEFAULT_DEMO_KEY: &str = "demo-key";
const DEFAULT_DELAY_MS: u64 = 15;

impl Default for CliOptions {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            dist: PathBuf::from("dist"),
            demo: DemoConfig::default(),
        }
    }
}

/// Parses the arguments after the program name (`--flag value` or `--flag=value`).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, ConfigError> {
    let mut options = CliOptions::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let flag: &'static str = match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--host" => "--host",
            "--port" => "--port",
            "--dist" => "--dist",
            "--demo-delay-ms" => "--demo-delay-ms",
            "--demo-key" => "--demo-key",
            _ => return Err(ConfigError::UnknownArgument(arg)),
        };
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or(ConfigError::MissingValue(flag))?,
        };
        let invalid = |reason| ConfigError::InvalidValue {
            flag,
            value: value.clone(),
            reason,
        };
        match flag {
            "--host" => {
                if value != "localhost" && value.parse::<IpAddr>().is_err() {
                    return Err(invalid("expected an IP address or 'localhost'"));
                }
                options.host = value;
            }
            "--port" => {
                options.port = value
                    .parse()
                    .map_err(|_| invalid("expected a port number 0-65535"))?;
            }
            "--dist" => {
                if value.is_empty() {
                    return Err(invalid("expected a directory"));
                }
                options.dist = PathBuf::from(value);
            }
            "--demo-delay-ms" => {
                let ms: u64 = value
                    .parse()
                    .map_err(|_| invalid("expected milliseconds, e.g. 15 (0 = no delay)"))?;
                if ms > 60_000 {
                    return Err(invalid("at most 60000 ms"));
                }
                options.demo.delay = Duration::from_millis(ms);
            }
            _ => {
                if value.trim().is_empty() || value.chars().any(char::is_control) {
                    return Err(invalid(
                        "expected a non-empty key without control characters",
                    ));
                }
                options.demo.key = value;
            }
        }
    }
    Ok(Command::Run(options))
}

/// The `--help` text, including every trigger phrase of the demo script.
pub fn help_text() -> String {
    let mut text = format!(
        "foundry-chat dev server: serves the built app, a scripted demo endpoint and a key-holding proxy.

USAGE:
    dev-server [--host 127.0.0.1] [--port 8080] [--dist dist] [--demo-delay-ms 15] [--demo-key {DEFAULT_DEMO_KEY}]

OPTIONS:
    --host <ip>              address to listen on (default 127.0.0.1; keep loopback when the proxy is on)
    --port <n>               port (default 8080; 0 = any free port)
    --dist <dir>             built app to serve (default dist)
    --demo-delay-ms <ms>     pause between streamed demo tokens (default 15; 0 = none)
    --demo-key <key>         key the demo endpoint accepts (default {DEFAULT_DEMO_KEY}), sent as
                             `api-key: <key>` or `Authorization: Bearer <key>`
    -h, --help               this text

DEMO ENDPOINT (scripted replies, no model):
    Azure AI Model Inference: POST /models/chat/completions?api-version=…, GET /models/info?api-version=…
    OpenAI style:             POST /v1/chat/completions, GET /v1/models (also under /openai/v1)
    Responses API:            POST /v1/responses, POST /openai/v1/responses (streamed events or a
                              response object; store/previous_response_id kept for 64 responses)

TRIGGER PHRASES (case-insensitive, in the last user message):
"
    );
    for trigger in TRIGGERS {
        text.push_str(&format!("    {:<20} {}\n", trigger.phrase, trigger.effect));
    }
    text.push_str(&format!(
        "
PROXY:
    Set {ENDPOINT_VAR} (e.g. https://<resource>.services.ai.azure.com/models) and
    {CREDENTIAL_VAR} (the key); requests to /proxy/<path> from the app's own origin are forwarded
    to <endpoint>/<path> with the key added server-side. The key never reaches the browser.

See crates/dev-server/DEMO.md for details.
"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn no_arguments_give_the_documented_defaults() {
        let Ok(Command::Run(options)) = parse_args(args(&[])) else {
            panic!("expected Run");
        };
        assert_eq!(options.host, "127.0.0.1");
        assert_eq!(options.port, 8080);
        assert_eq!(options.dist, PathBuf::from("dist"));
        assert_eq!(options.demo.key, "demo-key");
        assert_eq!(options.demo.delay, Duration::from_millis(15));
    }

    #[test]
    fn flags_accept_separate_and_inline_values() {
        let parsed = parse_args(args(&[
            "--port=9000",
            "--host",
            "::1",
            "--demo-delay-ms",
            "0",
            "--demo-key=k",
            "--dist",
            "out",
        ]));
        let Ok(Command::Run(options)) = parsed else {
            panic!("expected Run, got {parsed:?}");
        };
        assert_eq!(options.port, 9000);
        assert_eq!(options.host, "::1");
        assert_eq!(options.demo.delay, Duration::ZERO);
        assert_eq!(options.demo.key, "k");
        assert_eq!(options.dist, PathBuf::from("out"));
    }

    #[test]
    fn bad_values_and_unknown_flags_are_errors_not_panics() {
        assert!(matches!(
            parse_args(args(&["--port", "99999"])),
            Err(ConfigError::InvalidValue { flag: "--port", .. })
        ));
        assert!(matches!(
            parse_args(args(&["--host", "example.com"])),
            Err(ConfigError::InvalidValue { flag: "--host", .. })
        ));
        assert_eq!(
            parse_args(args(&["--port"])),
            Err(ConfigError::MissingValue("--port"))
        );
        assert_eq!(
            parse_args(args(&["--verbose"])),
            Err(ConfigError::UnknownArgument("--verbose".to_owned()))
        );
        assert_eq!(parse_args(args(&["--help"])), Ok(Command::Help));
    }

    #[test]
    fn proxy_is_off_when_both_variables_are_unset_or_empty() {
        assert!(matches!(ProxyConfig::from_env_values(None, None), Ok(None)));
        assert!(matches!(
            ProxyConfig::from_env_values(Some(" ".into()), Some(String::new())),
            Ok(None)
        ));
    }

    #[test]
    fn proxy_with_one_variable_names_the_missing_one() {
        let err = ProxyConfig::from_env_values(Some("https://x.example/models".into()), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(CREDENTIAL_VAR), "{err}");
    }

    #[test]
    fn invalid_endpoint_urls_are_rejected_with_the_reason() {
        for bad in [
            "not a url",
            "ftp://x.example/models",
            "https://x.example/models?api-version=1",
        ] {
            let result = ProxyConfig::from_env_values(Some(bad.into()), Some("k".into()));
            assert!(
                matches!(result, Err(ConfigError::InvalidEndpoint { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn proxy_debug_output_never_contains_the_key() {
        let proxy = ProxyConfig::new("https://x.example/models", "super-secret-key");
        let shown = format!("{proxy:?}");
        assert!(!shown.contains("super-secret-key"), "{shown}");
        assert!(shown.contains("x.example"), "{shown}");
    }

    #[test]
    fn help_lists_every_trigger_phrase() {
        let help = help_text();
        for trigger in TRIGGERS {
            assert!(help.contains(trigger.phrase), "{}", trigger.phrase);
        }
    }
}
