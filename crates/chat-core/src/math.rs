//! The transcendental functions chat-core uses (the calculator tool, number rounding): in the
//! browser they are its own `Math` (native code, instead of ~7 KB of libm compiled into the
//! wasm); natively they are the standard library's. And the floating-point remainder, exact
//! by repeated subtraction (wasm has no `fmod` instruction; libm's links 128-bit division).

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

/// `x % y` (C's `fmod`: the exact remainder, with the sign of `x`), for finite `x` and a
/// finite, non-zero `y`; anything else gives what `%` gives (NaN, or `x` for an infinite `y`).
///
/// It subtracts `|y|·2^k` for k from the largest that fits down to 0. Each subtraction is
/// exact (Sterbenz: the remainder so far is below twice what is subtracted), and so is each
/// doubling and halving of `|y|`, so the result is exact, as `fmod` is.
pub fn rem(x: f64, y: f64) -> f64 {
    if !x.is_finite() || y.is_nan() || y == 0.0 {
        return f64::NAN;
    }
    let mut rest = x.abs();
    let divisor = y.abs();
    if rest < divisor {
        return x;
    }
    let mut part = divisor;
    while part * 2.0 <= rest {
        part *= 2.0;
    }
    while part >= divisor {
        if rest >= part {
            rest -= part;
        }
        part /= 2.0;
    }
    rest.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::rem;
    use proptest::prelude::*;

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn rem_is_fmod_at_the_edges() {
        let cases = [
            (7.0, 3.0),
            (-7.0, 3.0),
            (7.0, -3.0),
            (-0.0, 2.0),
            (6.0, 3.0),
            (-6.0, 3.0),
            (1e20, 3.0),
            (f64::MAX, 1e-300),
            (f64::MAX, f64::MIN_POSITIVE),
            (5e-324, 5e-324),
            (1.0, 5e-324),
            (f64::MAX, 5e-324),
            (1.5, f64::INFINITY),
            (f64::INFINITY, 2.0),
            (2.0, 0.0),
            (f64::NAN, 1.0),
            (0.1, 0.01),
        ];
        for (x, y) in cases {
            assert!(
                same(rem(x, y), x % y),
                "{x} % {y}: {} vs {}",
                rem(x, y),
                x % y
            );
        }
    }

    proptest! {
        #[test]
        fn rem_is_fmod_on_any_finite_pair(a in any::<u64>(), b in any::<u64>()) {
            let (x, y) = (f64::from_bits(a), f64::from_bits(b));
            prop_assume!(x.is_finite() && y.is_finite() && y != 0.0);
            prop_assert!(same(rem(x, y), x % y), "{} % {}", x, y);
        }

        #[test]
        fn rem_is_fmod_on_ordinary_numbers(x in -1e6f64..1e6, y in -1e3f64..1e3) {
            prop_assume!(y != 0.0);
            prop_assert!(same(rem(x, y), x % y), "{} % {}", x, y);
        }
    }
}
