//! Numbers as text for people and settings: parsing decimal text and formatting `f64`
//! without core's float formatting and parsing (their code and tables are ~15 KB of wasm,
//! while serde_json's shortest formatter is linked anyway).

/// Parses a decimal number: an optional sign, digits with an optional fraction (`1`, `-2.5`,
/// `.5`, `3.`), and an optional exponent (`1e-3`). Surrounding spaces, `inf`, `nan`, hex and
/// anything else are refused. Correctly rounded for up to 15 significant digits with a
/// decimal exponent within ±22 (every value a person types into a setting or a calculator);
/// beyond that the relative error stays below 1e-14.
pub fn parse(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut exponent: i64 = 0;
    let mut digits = 0;
    let mut significant = 0;
    let mut seen_point = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                if significant < 19 {
                    if mantissa > 0 || b != b'0' {
                        significant += 1;
                    }
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    if seen_point {
                        exponent -= 1;
                    }
                } else if !seen_point {
                    // Digits past the 19th only scale the value.
                    exponent += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        i += 1;
        let sign = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                -1
            }
            Some(b'+') => {
                i += 1;
                1
            }
            _ => 1,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(&b @ b'0'..=b'9') = bytes.get(i) {
            e = (e * 10 + i64::from(b - b'0')).min(100_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exponent += sign * e;
    }
    if i != bytes.len() {
        return None;
    }
    let value = scale(mantissa as f64, exponent);
    Some(if negative { -value } else { value })
}

/// `m × 10^exponent`: one rounding while the power of ten is exact (|exponent| ≤ 22).
fn scale(m: f64, exponent: i64) -> f64 {
    if m == 0.0 {
        return 0.0;
    }
    let mut value = m;
    let mut rest = exponent;
    while rest > 22 {
        value *= 1e22;
        rest -= 22;
    }
    while rest < -22 {
        value /= 1e22;
        rest += 22;
    }
    let power = 10f64.powi(rest.unsigned_abs() as i32);
    if rest >= 0 {
        value * power
    } else {
        value / power
    }
}

/// The shortest text that reads back as `value` (`0.7`, `2`, `-1.5`, `1e-7`), as JavaScript
/// prints it; `NaN` and infinities as `null` (they have no JSON form).
pub fn to_text(value: f64) -> String {
    let text = serde_json::to_string(&value).unwrap_or_default();
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// `value` with exactly one decimal, rounded half away from zero (`12.3`, `4.0`).
pub fn one_decimal(value: f64) -> String {
    let tenths = (value * 10.0).round();
    let sign = if tenths < 0.0 { "-" } else { "" };
    let tenths = tenths.abs() as u64;
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

/// `value` rounded to 12 significant digits, hiding binary rounding noise (`0.1 + 0.2` is
/// `0.3`); values too large or too small for that to matter are returned as they are.
pub fn round_significant(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let magnitude = crate::math::log10(value.abs()).floor() as i32;
    let places = 11 - magnitude;
    if !(-22..=22).contains(&places) {
        return value;
    }
    let power = 10f64.powi(places.abs());
    if places >= 0 {
        (value * power).round() / power
    } else {
        (value / power).round() * power
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_parses_like_the_standard_library() {
        for text in [
            "0",
            "1",
            "-1",
            "+2",
            "0.1",
            "0.2",
            "0.3",
            "2.5",
            "-0.5",
            ".5",
            "3.",
            "1e3",
            "1E3",
            "2.5e-3",
            "1e+2",
            "007",
            "0.000001",
            "123456.789",
            "3.14159265358979",
            "1.7976931348623157e308",
            "1e-7",
            "0.95",
            "0.7",
            "1e22",
            "1e23",
        ] {
            let ours = parse(text).unwrap_or_else(|| panic!("{text} is a number"));
            let std: f64 = text.parse().expect("std parses it");
            assert!(
                ((ours - std) / std.abs().max(1e-300)).abs() < 1e-14,
                "{text}: {ours} vs {std}"
            );
            // Exact within the documented range (≤ 15 significant digits, exponent ±22).
            if !text.ends_with("e308") {
                assert_eq!(ours, std, "{text}");
            }
        }
        assert_eq!(
            parse("12345678901234567890123"),
            Some(1.2345678901234568e22)
        );
    }

    #[test]
    fn anything_but_a_plain_decimal_is_refused() {
        for text in [
            "", " ", " 1", "1 ", "-", "+", ".", "e3", "1e", "1e+", "1.2.3", "1,5", "inf", "NaN",
            "0x10", "1_000", "--1", "1e3.5",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn huge_exponents_saturate_instead_of_overflowing() {
        assert_eq!(parse("1e99999999999"), Some(f64::INFINITY));
        assert_eq!(parse("1e-99999999999"), Some(0.0));
        assert_eq!(parse("0e999"), Some(0.0));
    }

    #[test]
    fn numbers_print_shortest_without_a_trailing_point_zero() {
        assert_eq!(to_text(0.7), "0.7");
        assert_eq!(to_text(2.0), "2");
        assert_eq!(to_text(-1.5), "-1.5");
        assert_eq!(to_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(to_text(f64::NAN), "null");
        for v in [0.95, 1e-7, 123456.789, 1e21] {
            assert_eq!(parse(&to_text(v)), Some(v), "{v}");
        }
    }

    #[test]
    fn one_decimal_rounds_half_away_from_zero() {
        assert_eq!(one_decimal(12.34), "12.3");
        assert_eq!(one_decimal(4.0), "4.0");
        assert_eq!(one_decimal(0.05), "0.1");
        assert_eq!(one_decimal(1023.96), "1024.0");
        assert_eq!(one_decimal(-2.25), "-2.3");
    }

    #[test]
    fn twelve_significant_digits_hide_binary_noise() {
        assert_eq!(round_significant(0.1 + 0.2), 0.3);
        assert_eq!(round_significant(1.0 / 3.0), 0.333333333333);
        assert_eq!(round_significant(2.0f64.sqrt() * 2.0f64.sqrt()), 2.0);
        assert_eq!(round_significant(123456789.12345679), 123456789.123);
        assert_eq!(round_significant(-7.000000000000001), -7.0);
        assert_eq!(round_significant(1e300), 1e300);
        assert_eq!(round_significant(0.0), 0.0);
    }
}
