# Sourced by scripts/build.sh and the bench wasm builds: the environment of the release wasm.
#
# The release wasm is built with the standard library compiled from source (rust-src, installed
# by setup.sh) so that a panic is a bare trap: no panic messages, no source locations, none of
# the formatting code behind them (-27 KB gzip, BENCHMARKS.md, Bundle). A panic=abort wasm
# without a panic hook already shows nothing on a panic, so nothing observable is lost. These
# are unstable cargo/rustc options on the pinned 1.95.0 toolchain (rust-toolchain.toml), enabled
# for release wasm builds only; tests and clippy build the usual way.
export RUSTC_BOOTSTRAP=1
export CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
# smaller implementations in core/alloc where they exist (-1.4 KB gzip)
export CARGO_UNSTABLE_BUILD_STD_FEATURES="optimize_for_size"
# Replaces .cargo/config.toml's rustflags for this target, so it repeats erase_components.
# optimize_hot: chat-core compiles its per-event stream path for speed (#[optimize(speed)]).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components --cfg optimize_hot -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
