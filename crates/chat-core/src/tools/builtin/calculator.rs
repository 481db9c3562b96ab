//! `calculate`: a safe arithmetic evaluator (recursive descent, no `eval`) with limits on
//! length and depth, and its result tidied of binary rounding noise.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::math;
use crate::number::to_text;
use crate::tools::{Tool, ToolDefinition, ToolError};

/// A safe arithmetic evaluator (no `eval`): numbers, + - * / % ^ (or **), unary minus,
/// parentheses, functions and the constants `pi` and `e`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calculate;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Expression {
    pub expression: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calculation {
    pub expression: String,
    /// Rounded to 12 significant digits; integral values are integers.
    pub result: Value,
}

impl Tool for Calculate {
    const NAME: &'static str = "calculate";
    type Args = Expression;
    type Output = Calculation;

    fn definition() -> ToolDefinition {
        ToolDefinition::with_schema_text(
            Self::NAME,
            "Evaluates an arithmetic expression and returns the number. Supports + - * / % \
             ^ (power), parentheses, the constants pi and e, and the functions sqrt, abs, \
             round, floor, ceil, min, max, pow(x, y), ln, log (natural; log(x, base) for \
             another base), log10, log2, exp, sin, cos and tan (radians).",
            r#"{
                "type": "object",
                "properties": {
                    "expression": {
                        "type": "string",
                        "description": "The expression, e.g. \"(2 + 3) * sqrt(16) / 4\""
                    }
                },
                "required": ["expression"]
            }"#,
        )
    }

    fn call(&self, args: Expression) -> Result<Calculation, ToolError> {
        let value = evaluate(&args.expression).map_err(|e| {
            ToolError::failed(format!("could not evaluate {:?}: {e}.", args.expression))
        })?;
        Ok(Calculation {
            expression: args.expression,
            result: tidy_number(value),
        })
    }
}

/// `x` rounded to 12 significant digits (hiding binary rounding noise such as
/// 0.1 + 0.2), as a JSON integer when integral.
fn tidy_number(x: f64) -> Value {
    let rounded = crate::number::round_significant(x);
    if rounded.fract() == 0.0 && rounded.abs() < 9.0e15 {
        Value::from(rounded as i64)
    } else {
        serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("the expression is empty")]
    Empty,
    #[error("the expression is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the expression is nested more than {max} levels deep")]
    TooDeep { max: usize },
    #[error("division by zero")]
    DivisionByZero,
    #[error("unknown name {0:?}")]
    UnknownIdentifier(String),
    #[error("unbalanced parentheses")]
    UnbalancedParentheses,
    #[error("unexpected {found:?} at position {position}")]
    Unexpected { found: char, position: usize },
    #[error("the expression ends too early")]
    UnexpectedEnd,
    #[error("{function} takes {expected}, not {got}")]
    ArgumentCount {
        function: &'static str,
        expected: &'static str,
        got: usize,
    },
    #[error("{0} is undefined")]
    Undefined(String),
    #[error("the result is too large")]
    Overflow,
}

/// Longest expression accepted, in characters.
pub const MAX_EXPRESSION_LEN: usize = 1000;
/// Deepest nesting of parentheses, function calls, signs and powers.
pub const MAX_EXPRESSION_DEPTH: usize = 64;

/// Evaluates an arithmetic expression (recursive descent with a depth limit).
pub fn evaluate(expression: &str) -> Result<f64, CalcError> {
    if expression.chars().count() > MAX_EXPRESSION_LEN {
        return Err(CalcError::TooLong {
            max: MAX_EXPRESSION_LEN,
        });
    }
    if expression.trim().is_empty() {
        return Err(CalcError::Empty);
    }
    let mut parser = Parser {
        src: expression,
        pos: 0,
    };
    let value = parser.sum(0)?;
    match parser.peek() {
        None => Ok(value),
        Some(')') => Err(CalcError::UnbalancedParentheses),
        Some(found) => Err(parser.unexpected(found)),
    }
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    pos: usize,
}

impl Parser<'_> {
    /// The next non-space character, without consuming it.
    fn peek(&mut self) -> Option<char> {
        let rest = &self.src[self.pos..];
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        trimmed.chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn unexpected(&self, found: char) -> CalcError {
        CalcError::Unexpected {
            found,
            position: self.src[..self.pos].chars().count() + 1,
        }
    }

    fn descend(depth: usize) -> Result<usize, CalcError> {
        if depth >= MAX_EXPRESSION_DEPTH {
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH,
            })
        } else {
            Ok(depth + 1)
        }
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self, depth: usize) -> Result<f64, CalcError> {
        let depth = Self::descend(depth)?;
        let mut value = self.product(depth)?;
        loop {
            if self.eat('+') {
                value = finite(value + self.product(depth)?)?;
            } else if self.eat('-') {
                value = finite(value - self.product(depth)?)?;
            } else {
                return Ok(value);
            }
        }
    }

    /// product := signed (('*' | '/' | '%') signed)*
    fn product(&mut self, depth: usize) -> Result<f64, CalcError> {
        let mut value = self.signed(depth)?;
        loop {
            if self.eat('*') {
                value = finite(value * self.signed(depth)?)?;
            } else if self.eat('/') {
                let divisor = self.signed(depth)?;
                if divisor == 0.0 {
                    return Err(CalcError::DivisionByZero);
                }
                value = finite(value / divisor)?;
            } else if self.eat('%') {
                let divisor = self.signed(depth)?;
                if divisor == 0.0 {
                    return Err(CalcError::DivisionByZero);
                }
                value = finite(math::rem(value, divisor))?;
            } else {
                return Ok(value);
            }
        }
    }

    /// signed := ('-' | '+') signed | power
    fn signed(&mut self, depth: usize) -> Result<f64, CalcError> {
        if self.eat('-') {
            Ok(-self.signed(Self::descend(depth)?)?)
        } else if self.eat('+') {
            self.signed(Self::descend(depth)?)
        } else {
            self.power(depth)
        }
    }

    /// power := primary (('^' | '**') signed)?   (right-associative; -2^2 = -4)
    fn power(&mut self, depth: usize) -> Result<f64, CalcError> {
        let base = self.primary(depth)?;
        let is_power = if self.eat('^') {
            true
        } else if self.peek() == Some('*') && self.src[self.pos..].starts_with("**") {
            self.pos += 2;
            true
        } else {
            false
        };
        if !is_power {
            return Ok(base);
        }
        let exponent = self.signed(Self::descend(depth)?)?;
        if base == 0.0 && exponent < 0.0 {
            return Err(CalcError::DivisionByZero);
        }
        let value = math::pow(base, exponent);
        if value.is_nan() {
            return Err(CalcError::Undefined(format!(
                "{}^{}",
                to_text(base),
                to_text(exponent)
            )));
        }
        finite(value)
    }

    /// primary := number | name | name '(' arguments ')' | '(' sum ')'
    fn primary(&mut self, depth: usize) -> Result<f64, CalcError> {
        let Some(next) = self.peek() else {
            return Err(CalcError::UnexpectedEnd);
        };
        if next == '(' {
            self.pos += 1;
            let value = self.sum(depth)?;
            return self.close(value);
        }
        if next.is_ascii_digit() || next == '.' {
            return self.number();
        }
        if next.is_ascii_alphabetic() || next == '_' {
            let name = self.word().to_ascii_lowercase();
            if self.eat('(') {
                let mut args = vec![self.sum(depth)?];
                while self.eat(',') {
                    args.push(self.sum(depth)?);
                }
                let value = call_function(&name, &args)?;
                return self.close(value);
            }
            return match name.as_str() {
                "pi" => Ok(std::f64::consts::PI),
                "e" => Ok(std::f64::consts::E),
                _ => Err(CalcError::UnknownIdentifier(name)),
            };
        }
        if next == ')' {
            return Err(CalcError::UnbalancedParentheses);
        }
        Err(self.unexpected(next))
    }

    fn close(&mut self, value: f64) -> Result<f64, CalcError> {
        match self.peek() {
            Some(')') => {
                self.pos += 1;
                Ok(value)
            }
            None => Err(CalcError::UnbalancedParentheses),
            Some(found) => Err(self.unexpected(found)),
        }
    }

    fn word(&mut self) -> &str {
        let rest = &self.src[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]
    fn number(&mut self) -> Result<f64, CalcError> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let digits = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut end = digits(start);
        if bytes.get(end) == Some(&b'.') {
            end = digits(end + 1);
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            let exponent_end = digits(end + 1 + sign);
            if exponent_end > end + 1 + sign {
                end = exponent_end;
            }
        }
        let text = &self.src[start..end];
        let value = crate::number::parse(text).ok_or_else(|| self.unexpected('.'))?;
        self.pos = end;
        finite(value)
    }
}

fn finite(value: f64) -> Result<f64, CalcError> {
    if value.is_finite() {
        Ok(value)
    } else if value.is_nan() {
        Err(CalcError::Undefined("the result".to_owned()))
    } else {
        Err(CalcError::Overflow)
    }
}

fn call_function(name: &str, args: &[f64]) -> Result<f64, CalcError> {
    let one = |function: &'static str| -> Result<f64, CalcError> {
        match args {
            [x] => Ok(*x),
            _ => Err(CalcError::ArgumentCount {
                function,
                expected: "one argument",
                got: args.len(),
            }),
        }
    };
    let (function, value): (&'static str, f64) = match name {
        "sqrt" => ("sqrt", one("sqrt")?.sqrt()),
        "abs" => ("abs", one("abs")?.abs()),
        "round" => ("round", one("round")?.round()),
        "floor" => ("floor", one("floor")?.floor()),
        "ceil" => ("ceil", one("ceil")?.ceil()),
        "ln" => ("ln", math::ln(one("ln")?)),
        "log10" => ("log10", math::log10(one("log10")?)),
        "log2" => ("log2", math::log2(one("log2")?)),
        "exp" => ("exp", math::exp(one("exp")?)),
        "sin" => ("sin", math::sin(one("sin")?)),
        "cos" => ("cos", math::cos(one("cos")?)),
        "tan" => ("tan", math::tan(one("tan")?)),
        "log" => match args {
            [x] => ("log", math::ln(*x)),
            [x, base] => ("log", math::ln(*x) / math::ln(*base)),
            _ => {
                return Err(CalcError::ArgumentCount {
                    function: "log",
                    expected: "one or two arguments",
                    got: args.len(),
                })
            }
        },
        "pow" => match args {
            [x, y] if *x == 0.0 && *y < 0.0 => return Err(CalcError::DivisionByZero),
            [x, y] => ("pow", math::pow(*x, *y)),
            _ => {
                return Err(CalcError::ArgumentCount {
                    function: "pow",
                    expected: "two arguments",
                    got: args.len(),
                })
            }
        },
        "min" => ("min", args.iter().copied().fold(f64::INFINITY, f64::min)),
        "max" => (
            "max",
            args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ),
        _ => return Err(CalcError::UnknownIdentifier(name.to_owned())),
    };
    if value.is_nan()
        || (value.is_infinite() && matches!(function, "ln" | "log" | "log10" | "log2"))
    {
        let mut call = format!("{function}(");
        for (i, arg) in args.iter().enumerate() {
            let _ = write!(call, "{}{}", if i == 0 { "" } else { ", " }, to_text(*arg));
        }
        call.push(')');
        return Err(CalcError::Undefined(call));
    }
    finite(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::DynTool;

    #[test]
    fn calculator_follows_precedence_and_associativity() {
        let cases = [
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("10 - 4 - 3", 3.0),
            ("2 ^ 3 ^ 2", 512.0),
            ("2 ** 3", 8.0),
            ("-2 ^ 2", -4.0),
            ("2 ^ -1", 0.5),
            ("--3", 3.0),
            ("+4", 4.0),
            ("7 % 3", 1.0),
            ("-7 % 3", -1.0),
            ("8 / 2 / 2", 2.0),
            ("1.5e3 + .5", 1500.5),
            ("2E-2", 0.02),
            ("3 * -2", -6.0),
        ];
        for (expression, expected) in cases {
            assert_eq!(evaluate(expression), Ok(expected), "{expression}");
        }
    }

    #[test]
    fn calculator_functions_and_constants() {
        let close = |expression: &str, expected: f64| {
            let value = evaluate(expression).unwrap();
            assert!((value - expected).abs() < 1e-12, "{expression} = {value}");
        };
        close("sqrt(16) + abs(-2)", 6.0);
        close("round(2.5) + floor(2.7) + ceil(2.1)", 3.0 + 2.0 + 3.0);
        close("min(3, 1, 2) + max(3, 1, 2)", 4.0);
        close("pow(2, 10)", 1024.0);
        close(
            "ln(e) + log(e) + log10(1000) + log2(8) + log(8, 2)",
            1.0 + 1.0 + 3.0 + 3.0 + 3.0,
        );
        close("sin(pi / 2) + cos(0) + tan(0)", 2.0);
        close("exp(0) + PI - Pi", 1.0);
        close("Sqrt( 9 )", 3.0);
    }

    #[test]
    fn calculator_errors_are_clear() {
        let cases = [
            ("1 / 0", CalcError::DivisionByZero),
            ("5 % (2 - 2)", CalcError::DivisionByZero),
            ("0 ^ -1", CalcError::DivisionByZero),
            ("x + 1", CalcError::UnknownIdentifier("x".to_owned())),
            ("foo(1)", CalcError::UnknownIdentifier("foo".to_owned())),
            ("(1 + 2", CalcError::UnbalancedParentheses),
            ("1 + 2)", CalcError::UnbalancedParentheses),
            ("sqrt(4", CalcError::UnbalancedParentheses),
            ("1 +", CalcError::UnexpectedEnd),
            ("", CalcError::Empty),
            (
                "2 $ 3",
                CalcError::Unexpected {
                    found: '$',
                    position: 3,
                },
            ),
            (
                "2 3",
                CalcError::Unexpected {
                    found: '3',
                    position: 3,
                },
            ),
            (
                "1.2.3",
                CalcError::Unexpected {
                    found: '.',
                    position: 4,
                },
            ),
            ("sqrt(-1)", CalcError::Undefined("sqrt(-1)".to_owned())),
            ("ln(0)", CalcError::Undefined("ln(0)".to_owned())),
            ("(-8) ^ 0.5", CalcError::Undefined("-8^0.5".to_owned())),
            ("10 ^ 400", CalcError::Overflow),
            (
                "pow(1)",
                CalcError::ArgumentCount {
                    function: "pow",
                    expected: "two arguments",
                    got: 1,
                },
            ),
            (
                "sqrt(1, 2)",
                CalcError::ArgumentCount {
                    function: "sqrt",
                    expected: "one argument",
                    got: 2,
                },
            ),
        ];
        for (expression, expected) in cases {
            assert_eq!(evaluate(expression), Err(expected), "{expression}");
        }
        assert_eq!(
            CalcError::Unexpected {
                found: '$',
                position: 3
            }
            .to_string(),
            "unexpected '$' at position 3"
        );
    }

    #[test]
    fn calculator_limits_length_and_depth() {
        let long = "1+".repeat(MAX_EXPRESSION_LEN / 2) + "1";
        assert_eq!(
            evaluate(&long),
            Err(CalcError::TooLong {
                max: MAX_EXPRESSION_LEN
            })
        );
        let deep = "(".repeat(100) + "1" + &")".repeat(100);
        assert_eq!(
            evaluate(&deep),
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH
            })
        );
        let signs = "-".repeat(500) + "1";
        assert_eq!(
            evaluate(&signs),
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH
            })
        );
        let powers = "2^".repeat(300) + "1";
        assert_eq!(
            evaluate(&powers),
            Err(CalcError::TooDeep {
                max: MAX_EXPRESSION_DEPTH
            })
        );
        let fine = "(".repeat(20) + "1" + &")".repeat(20);
        assert_eq!(evaluate(&fine), Ok(1.0));
    }

    #[test]
    fn calculator_results_hide_binary_rounding_noise() {
        let content = Calculate
            .call_json(r#"{"expression": "0.1 + 0.2"}"#)
            .unwrap();
        assert_eq!(content, r#"{"expression":"0.1 + 0.2","result":0.3}"#);
        let content = Calculate.call_json(r#"{"expression": "2 ^ 0.5"}"#).unwrap();
        assert_eq!(
            content,
            r#"{"expression":"2 ^ 0.5","result":1.41421356237}"#
        );
        assert_eq!(
            Calculate.call_json(r#"{"expression": "1/0"}"#),
            Err(ToolError::failed(
                "could not evaluate \"1/0\": division by zero."
            ))
        );
    }

    #[test]
    fn calculator_never_panics_on_random_input() {
        const ALPHABET: &[u8] = b"0123456789.eE+-*/%^() ,piqrtsxabcdlgmn\xC3\xA9";
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(value) = evaluate(&text) {
                assert!(value.is_finite(), "{text} = {value}");
            }
        }
    }
}
