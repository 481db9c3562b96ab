//! The `dev-server` binary's start-up: bad configuration is a clear message and a non-zero
//! exit code, never a panic.

use std::net::TcpListener;
use std::process::{Command, Output};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dev-server"));
    command
        .args(args)
        .env_remove("AZURE_INFERENCE_ENDPOINT")
        .env_remove("AZURE_INFERENCE_CREDENTIAL");
    for (k, v) in env {
        command.env(k, v);
    }
    match command.output() {
        Ok(output) => output,
        Err(e) => panic!("could not run dev-server: {e}"),
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn existing_dir() -> String {
    std::env::temp_dir().display().to_string()
}

#[test]
fn invalid_endpoint_url_exits_with_code_2_and_names_the_variable() {
    let dist = existing_dir();
    let output = run(
        &["--dist", &dist, "--port", "0"],
        &[
            ("AZURE_INFERENCE_ENDPOINT", "not a url"),
            ("AZURE_INFERENCE_CREDENTIAL", "secret-value"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("AZURE_INFERENCE_ENDPOINT"), "{message}");
    assert!(!message.contains("secret-value"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_missing_dist_directory_or_bad_flag_exits_with_code_2() {
    let output = run(&["--dist", "/definitely/not/here"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("trunk build"),
        "{}",
        stderr(&output)
    );
    let output = run(&["--port", "eighty"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--port"), "{}", stderr(&output));
}

#[test]
fn a_port_in_use_is_a_clear_message_not_a_panic() {
    let Ok(taken) = TcpListener::bind("127.0.0.1:0") else {
        panic!("bind failed")
    };
    let port = taken
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(0)
        .to_string();
    let dist = existing_dir();
    let output = run(&["--dist", &dist, "--port", &port], &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("already in use"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn help_documents_the_demo_key_and_trigger_phrases() {
    let output = run(&["--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for phrase in [
        "demo-key",
        "content filter",
        "rate limit",
        "long N",
        "/proxy",
    ] {
        assert!(help.contains(phrase), "{phrase}");
    }
}
