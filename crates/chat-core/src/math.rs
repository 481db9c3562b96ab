//! The transcendental functions chat-core uses (the calculator tool, number rounding): in the
//! browser they are its own `Math` (native code, instead of ~7 KB of libm compiled into the
//! wasm); natively they are the standard library's.

#[cfg(target_arch = "wasm32")]
use js_sys::Math as imp;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub fn sin(x: f64) -> f64 {
        x.sin()
    }
    pub fn cos(x: f64) -> f64 {
        x.cos()
    }
    pub fn tan(x: f64) -> f64 {
        x.tan()
    }
    pub fn exp(x: f64) -> f64 {
        x.exp()
    }
    pub fn log(x: f64) -> f64 {
        x.ln()
    }
    pub fn log10(x: f64) -> f64 {
        x.log10()
    }
    pub fn log2(x: f64) -> f64 {
        x.log2()
    }
    pub fn pow(x: f64, y: f64) -> f64 {
        x.powf(y)
    }
}

pub use imp::{cos, exp, log as ln, log10, log2, pow, sin, tan};
