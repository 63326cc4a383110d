//! Exact decimals: parsed from text, written in PostgreSQL's `numeric` binary form, read back
//! from it, and normalised for comparison. No value ever passes through a float here; a Float
//! that SQLite stored in a `Decimal` column is taken by its shortest round-trip text, which is
//! what Prisma's client reads from it.

use std::fmt;

/// `digits × 10^exponent`, negative when `negative`; `scale` is the number of fraction digits
/// the source wrote (PostgreSQL's display scale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    pub negative: bool,
    /// ASCII digits without leading zeros; empty for zero.
    pub digits: String,
    pub exponent: i64,
    pub scale: u16,
}

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;

impl Decimal {
    /// Parses `[-+]digits[.digits][e[-+]digits]`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let b = text.as_bytes();
        let mut at = 0;
        let negative = match b.first() {
            Some(b'-') => {
                at = 1;
                true
            }
            Some(b'+') => {
                at = 1;
                false
            }
            _ => false,
        };
        let mut digits = String::new();
        let mut fraction = 0i64;
        let mut seen_digit = false;
        while at < b.len() && b[at].is_ascii_digit() {
            digits.push(b[at] as char);
            seen_digit = true;
            at += 1;
        }
        if at < b.len() && b[at] == b'.' {
            at += 1;
            while at < b.len() && b[at].is_ascii_digit() {
                digits.push(b[at] as char);
                fraction += 1;
                seen_digit = true;
                at += 1;
            }
        }
        if !seen_digit {
            return None;
        }
        let mut exponent = -fraction;
        if at < b.len() && (b[at] == b'e' || b[at] == b'E') {
            at += 1;
            let rest = &text[at..];
            let e: i64 = rest.parse().ok().filter(|_| {
                let r = rest.trim_start_matches(['+', '-']);
                !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()) && r.len() < 7
            })?;
            exponent += e;
            at = b.len();
        }
        if at != b.len() {
            return None;
        }
        let trimmed = digits.trim_start_matches('0').to_string();
        let scale = (-exponent).clamp(0, i64::from(u16::MAX >> 2)) as u16;
        Some(Decimal {
            negative: negative && !trimmed.is_empty(),
            digits: trimmed,
            exponent,
            scale,
        })
    }

    /// The shortest decimal that reads back as `value` (`None` for NaN and infinities).
    pub fn from_f64(value: f64) -> Option<Decimal> {
        if !value.is_finite() {
            return None;
        }
        Decimal::parse(&format!("{value}"))
    }

    pub fn from_i64(value: i64) -> Decimal {
        Decimal::parse(&value.to_string()).expect("an integer is a decimal")
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Digits before the decimal point (0 for |x| < 1).
    pub fn integer_digits(&self) -> i64 {
        (self.digits.len() as i64 + self.exponent).max(0)
    }

    /// Fraction digits up to the last non-zero one.
    pub fn significant_fraction_digits(&self) -> i64 {
        let trailing = self.digits.len() - self.digits.trim_end_matches('0').len();
        (-(self.exponent + trailing as i64)).max(0)
    }

    /// The value with trailing zeros dropped: equal values, equal forms.
    pub fn normalized(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let trimmed = self.digits.trim_end_matches('0');
        let exponent = self.exponent + (self.digits.len() - trimmed.len()) as i64;
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        out.push_str(&plain(trimmed, exponent));
        out
    }

    /// PostgreSQL's binary `numeric`.
    pub fn to_pg_binary(&self, out: &mut Vec<u8>) {
        let p = self.digits.len() as i64 + self.exponent;
        let mut int_part = String::new();
        let mut frac_part = String::new();
        if p > 0 {
            let n = (p as usize).min(self.digits.len());
            int_part.push_str(&self.digits[..n]);
            int_part.extend(std::iter::repeat_n('0', p as usize - n));
            frac_part.push_str(&self.digits[n..]);
        } else {
            frac_part.extend(std::iter::repeat_n('0', (-p) as usize));
            frac_part.push_str(&self.digits);
        }
        let pad = (4 - int_part.len() % 4) % 4;
        let int_part = format!("{}{int_part}", "0".repeat(pad));
        let frac_pad = (4 - frac_part.len() % 4) % 4;
        frac_part.push_str(&"0".repeat(frac_pad));
        let group = |s: &str| -> Vec<i16> {
            s.as_bytes()
                .chunks(4)
                .map(|c| c.iter().fold(0i16, |v, d| v * 10 + i16::from(d - b'0')))
                .collect()
        };
        let int_groups = group(&int_part);
        let frac_groups = group(&frac_part);
        let mut weight = int_groups.len() as i64 - 1;
        let mut groups: Vec<i16> = int_groups.into_iter().chain(frac_groups).collect();
        while groups.first() == Some(&0) {
            groups.remove(0);
            weight -= 1;
        }
        while groups.last() == Some(&0) {
            groups.pop();
        }
        if groups.is_empty() {
            weight = 0;
        }
        out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
        out.extend_from_slice(&(weight as i16).to_be_bytes());
        let sign = if self.negative && !groups.is_empty() {
            NUMERIC_NEG
        } else {
            NUMERIC_POS
        };
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&self.scale.to_be_bytes());
        for g in groups {
            out.extend_from_slice(&g.to_be_bytes());
        }
    }

    /// Reads PostgreSQL's binary `numeric`; `Err` names NaN or an infinity.
    pub fn from_pg_binary(raw: &[u8]) -> Result<Decimal, String> {
        let word = |i: usize| -> Result<u16, String> {
            raw.get(i..i + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(|| "a short numeric value".to_string())
        };
        let ndigits = word(0)? as usize;
        let weight = word(2)? as i16 as i64;
        let sign = word(4)?;
        let scale = word(6)?;
        match sign {
            NUMERIC_NAN => return Err("NaN".into()),
            NUMERIC_PINF => return Err("Infinity".into()),
            NUMERIC_NINF => return Err("-Infinity".into()),
            _ => {}
        }
        let mut digits = String::new();
        for i in 0..ndigits {
            digits.push_str(&format!("{:04}", word(8 + 2 * i)?));
        }
        let exponent = (weight + 1 - ndigits as i64) * 4;
        let trimmed = digits.trim_start_matches('0').to_string();
        Ok(Decimal {
            negative: sign == NUMERIC_NEG && !trimmed.is_empty(),
            digits: trimmed,
            exponent,
            scale,
        })
    }
}

/// `digits × 10^exponent` in plain notation.
fn plain(digits: &str, exponent: i64) -> String {
    if exponent >= 0 {
        format!("{digits}{}", "0".repeat(exponent as usize))
    } else {
        let point = digits.len() as i64 + exponent;
        if point > 0 {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        } else {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        let d = Decimal::parse(text).unwrap();
        let mut out = Vec::new();
        d.to_pg_binary(&mut out);
        let back = Decimal::from_pg_binary(&out).unwrap();
        assert_eq!(back.scale, d.scale, "{text}");
        back.normalized()
    }

    #[test]
    fn parses_and_normalizes() {
        assert_eq!(Decimal::parse("0012.3400").unwrap().normalized(), "12.34");
        assert_eq!(Decimal::parse("-0.000").unwrap().normalized(), "0");
        assert_eq!(Decimal::parse("1e3").unwrap().normalized(), "1000");
        assert_eq!(Decimal::parse("-1.5E-3").unwrap().normalized(), "-0.0015");
        assert_eq!(Decimal::parse(".5").unwrap().normalized(), "0.5");
        assert_eq!(Decimal::parse("12.3400").unwrap().scale, 4);
        for bad in [
            "", "-", ".", "1.2.3", "abc", "1e", "1e+", "NaN", "Infinity", "1_000",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn numeric_binary_roundtrips_exactly() {
        for text in [
            "0",
            "1",
            "-1",
            "9999",
            "10000",
            "12345678901234567890123456789012345.123456789012345678901234567890",
            "0.000000000000000000000000000001",
            "-0.1",
            "3.14159265358979323846264338327950288",
            "1e40",
            "123.45e-10",
        ] {
            assert_eq!(
                roundtrip(text),
                Decimal::parse(text).unwrap().normalized(),
                "{text}"
            );
        }
    }

    #[test]
    fn known_binary_form() {
        // numeric '-1234.5678' with scale 4: 2 digits, weight 0, negative, dscale 4.
        let mut out = Vec::new();
        Decimal::parse("-1234.5678").unwrap().to_pg_binary(&mut out);
        assert_eq!(out, [0, 2, 0, 0, 0x40, 0, 0, 4, 0x04, 0xD2, 0x16, 0x2E]);
    }

    #[test]
    fn floats_by_their_shortest_text() {
        assert_eq!(Decimal::from_f64(0.1).unwrap().normalized(), "0.1");
        assert_eq!(
            Decimal::from_f64(1e21).unwrap().normalized(),
            "1000000000000000000000"
        );
        assert_eq!(
            Decimal::from_f64(-2.5e-7).unwrap().normalized(),
            "-0.00000025"
        );
        assert!(Decimal::from_f64(f64::INFINITY).is_none());
        assert_eq!(
            Decimal::from_i64(i64::MIN).normalized(),
            i64::MIN.to_string()
        );
    }

    #[test]
    fn limits() {
        let d = Decimal::parse("123.4500").unwrap();
        assert_eq!(d.integer_digits(), 3);
        assert_eq!(d.significant_fraction_digits(), 2);
        assert_eq!(Decimal::parse("0.001").unwrap().integer_digits(), 0);
        assert_eq!(
            Decimal::parse("1e3").unwrap().significant_fraction_digits(),
            0
        );
    }
}
