//! One value on its way from SQLite to PostgreSQL: the conversion by the Prisma field type
//! (strict: a value that does not mean what the type says is an error, never a cast), the
//! binary encoding by the target column's type (`ToSql`), the decoding of what the server holds
//! (`FromSql`), and the canonical bytes both sides are hashed in.

use std::error::Error;

use postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};
use rusqlite::types::ValueRef;

use super::datetime;
use super::decimal::Decimal;
use super::json;
use crate::prisma_model::ScalarType;

/// A converted value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Numeric(Decimal),
    /// Text, and enum labels.
    Text(String),
    Bytes(Vec<u8>),
    /// Microseconds since 2000-01-01 00:00:00 UTC.
    Timestamp(i64),
    /// JSON text (checked; sent as it is, compared canonically).
    Json(String),
}

/// What a column holds, from the schema, with the target's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Scalar(ScalarType),
    /// An enum: its stored labels.
    Enum {
        name: String,
        labels: Vec<String>,
    },
}

/// The target column's limits that a value must respect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// `int2`/`int4` range.
    pub int_range: Option<(i64, i64)>,
    /// `numeric(p, s)`.
    pub numeric: Option<(i64, i64)>,
    /// Fraction digits of `timestamp(p)` (6 when unconstrained).
    pub timestamp_precision: Option<u32>,
    /// `varchar(n)`.
    pub max_chars: Option<usize>,
    /// `float4` target: the value must be exact in single precision.
    pub single_float: bool,
}

/// Shows a SQLite value in a message (bounded in length).
pub fn show(value: ValueRef<'_>) -> String {
    let text = match value {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Integer(i) => format!("{i} (integer)"),
        ValueRef::Real(f) => format!("{f:?} (real)"),
        ValueRef::Text(t) => format!("'{}' (text)", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    };
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|_| "the text is not valid UTF-8".to_string())
}

fn no_nul(text: &str) -> Result<(), String> {
    if text.contains('\0') {
        Err("the text holds a NUL character, which PostgreSQL text cannot store".into())
    } else {
        Ok(())
    }
}

/// Converts one SQLite value. `Err` says why it cannot be converted.
pub fn convert(raw: ValueRef<'_>, source: &Source, limits: &Limits) -> Result<Value, String> {
    if let ValueRef::Null = raw {
        return Ok(Value::Null);
    }
    let scalar = match source {
        Source::Enum { name, labels } => {
            let ValueRef::Text(t) = raw else {
                return Err(format!("enum {name} needs text"));
            };
            let text = utf8(t)?;
            if !labels.iter().any(|l| l == text) {
                return Err(format!(
                    "not a value of enum {name} (one of {})",
                    labels.join(", ")
                ));
            }
            return Ok(Value::Text(text.to_string()));
        }
        Source::Scalar(scalar) => *scalar,
    };
    let wrong = |what: &str| Err(format!("{what} is not a {scalar}"));
    let value = match (scalar, raw) {
        (ScalarType::String, ValueRef::Text(t)) => {
            let text = utf8(t)?;
            no_nul(text)?;
            if let Some(max) = limits.max_chars
                && text.chars().count() > max
            {
                return Err(format!("longer than the target's {max} characters"));
            }
            Value::Text(text.to_string())
        }
        (ScalarType::Int | ScalarType::BigInt, ValueRef::Integer(i)) => {
            if let Some((low, high)) = limits.int_range
                && (i < low || i > high)
            {
                return Err(format!("out of the target column's range {low}..={high}"));
            }
            Value::Int(i)
        }
        (ScalarType::Float, ValueRef::Real(f)) => {
            if limits.single_float && f64::from(f as f32) != f && f.is_finite() {
                return Err("not exact in the target's single precision (real)".into());
            }
            Value::Float(f)
        }
        (ScalarType::Float, ValueRef::Integer(i)) => {
            let f = i as f64;
            if f as i64 != i || i.unsigned_abs() > 1 << 53 {
                return Err("an integer that a double cannot hold exactly".into());
            }
            Value::Float(f)
        }
        (ScalarType::Decimal, raw) => {
            let decimal = match raw {
                ValueRef::Integer(i) => Decimal::from_i64(i),
                ValueRef::Real(f) => Decimal::from_f64(f)
                    .ok_or_else(|| "NaN or an infinity is not a Decimal".to_string())?,
                ValueRef::Text(t) => {
                    Decimal::parse(utf8(t)?).ok_or_else(|| "not a decimal number".to_string())?
                }
                _ => return wrong("a blob"),
            };
            if let Some((precision, scale)) = limits.numeric {
                if decimal.significant_fraction_digits() > scale {
                    return Err(format!(
                        "has more than the target's {scale} fraction digits (numeric({precision},{scale}) would round it)"
                    ));
                }
                if decimal.integer_digits() > precision - scale {
                    return Err(format!(
                        "has more than the {} integer digits numeric({precision},{scale}) holds",
                        precision - scale
                    ));
                }
            }
            Value::Numeric(decimal)
        }
        (ScalarType::Boolean, ValueRef::Integer(i)) => match i {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err("a Boolean is stored as 0 or 1".into()),
        },
        (ScalarType::DateTime, raw) => {
            let micros = match raw {
                ValueRef::Integer(ms) => datetime::from_unix_millis(ms)
                    .ok_or_else(|| "unix milliseconds out of range".to_string())?,
                ValueRef::Real(ms) if ms.fract() == 0.0 && ms.abs() < 9.0e15 => {
                    datetime::from_unix_millis(ms as i64)
                        .ok_or_else(|| "unix milliseconds out of range".to_string())?
                }
                ValueRef::Text(t) => {
                    let (micros, below) = datetime::parse_text(utf8(t)?)
                        .map_err(|why| format!("not a date and time: {why}"))?;
                    if below {
                        return Err("has digits below the microsecond".into());
                    }
                    micros
                }
                _ => return wrong("this"),
            };
            let precision = limits.timestamp_precision.unwrap_or(6);
            let unit = 10i64.pow(6 - precision.min(6));
            if micros % unit != 0 {
                return Err(format!(
                    "has more fraction digits than the target's timestamp({precision}) keeps"
                ));
            }
            Value::Timestamp(micros)
        }
        (ScalarType::Json, raw) => {
            let text = match raw {
                ValueRef::Text(t) => {
                    let text = utf8(t)?;
                    json::check(text)?;
                    text.to_string()
                }
                // A Json number in a column of NUMERIC affinity is stored as a number.
                ValueRef::Integer(i) => i.to_string(),
                ValueRef::Real(f) => Decimal::from_f64(f)
                    .ok_or_else(|| "NaN or an infinity is not JSON".to_string())?
                    .normalized(),
                _ => return wrong("a blob"),
            };
            Value::Json(text)
        }
        (ScalarType::Bytes, ValueRef::Blob(b)) => Value::Bytes(b.to_vec()),
        (_, ValueRef::Integer(_)) => return wrong("an integer"),
        (_, ValueRef::Real(_)) => return wrong("a real"),
        (_, ValueRef::Text(_)) => return wrong("text"),
        (_, ValueRef::Blob(_)) => return wrong("a blob"),
        (_, ValueRef::Null) => Value::Null,
    };
    Ok(value)
}

type BoxError = Box<dyn Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        use bytes::BufMut;
        match self {
            Value::Null => return Ok(IsNull::Yes),
            Value::Bool(b) => out.put_u8(u8::from(*b)),
            Value::Int(i) => match *ty {
                Type::INT2 => out.put_i16(i16::try_from(*i)?),
                Type::INT4 => out.put_i32(i32::try_from(*i)?),
                _ => out.put_i64(*i),
            },
            Value::Float(f) => match *ty {
                Type::FLOAT4 => out.put_f32(*f as f32),
                _ => out.put_f64(*f),
            },
            Value::Numeric(d) => {
                let mut buf = Vec::with_capacity(16);
                d.to_pg_binary(&mut buf);
                out.put_slice(&buf);
            }
            Value::Text(t) => out.put_slice(t.as_bytes()),
            Value::Bytes(b) => out.put_slice(b),
            Value::Timestamp(t) => out.put_i64(*t),
            Value::Json(j) => {
                if *ty == Type::JSONB {
                    out.put_u8(1);
                }
                out.put_slice(j.as_bytes());
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        let text = || -> Result<String, BoxError> { Ok(std::str::from_utf8(raw)?.to_string()) };
        let int = |n: usize| -> Result<i64, BoxError> {
            let bytes = raw.get(..n).ok_or("short value")?;
            Ok(match n {
                2 => i64::from(i16::from_be_bytes([bytes[0], bytes[1]])),
                4 => i64::from(i32::from_be_bytes(bytes.try_into()?)),
                _ => i64::from_be_bytes(bytes.try_into()?),
            })
        };
        Ok(match *ty {
            Type::BOOL => Value::Bool(raw.first() == Some(&1)),
            Type::INT2 => Value::Int(int(2)?),
            Type::INT4 => Value::Int(int(4)?),
            Type::INT8 => Value::Int(int(8)?),
            Type::FLOAT4 => Value::Float(f64::from(f32::from_be_bytes(raw.try_into()?))),
            Type::FLOAT8 => Value::Float(f64::from_be_bytes(raw.try_into()?)),
            Type::NUMERIC => Value::Numeric(Decimal::from_pg_binary(raw)?),
            Type::BYTEA => Value::Bytes(raw.to_vec()),
            Type::TIMESTAMP | Type::TIMESTAMPTZ => Value::Timestamp(int(8)?),
            Type::JSONB => {
                Value::Json(std::str::from_utf8(raw.get(1..).ok_or("short jsonb")?)?.to_string())
            }
            Type::JSON => Value::Json(text()?),
            _ => match ty.kind() {
                Kind::Enum(_) => Value::Text(text()?),
                _ => Value::Text(text()?),
            },
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl Value {
    /// Appends the canonical bytes of the value (a tag, then the content, length-prefixed
    /// where it varies). Equal values on both sides give equal bytes.
    pub fn canonical(&self, out: &mut Vec<u8>) {
        let var = |tag: u8, bytes: &[u8], out: &mut Vec<u8>| {
            out.push(tag);
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        };
        match self {
            Value::Null => out.push(0),
            Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
            Value::Int(i) => {
                out.push(2);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float(f) => {
                out.push(3);
                let bits = if f.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    f.to_bits()
                };
                out.extend_from_slice(&bits.to_le_bytes());
            }
            Value::Numeric(d) => var(4, d.normalized().as_bytes(), out),
            Value::Text(t) => var(5, t.as_bytes(), out),
            Value::Bytes(b) => var(6, b, out),
            Value::Timestamp(t) => {
                out.push(7);
                out.extend_from_slice(&t.to_le_bytes());
            }
            Value::Json(j) => match json::canonical(j) {
                Ok(c) => var(8, c.as_bytes(), out),
                Err(_) => var(9, j.as_bytes(), out),
            },
        }
    }

    /// A short form for messages and row keys.
    pub fn show(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Numeric(d) => d.normalized(),
            Value::Text(t) => format!("'{t}'"),
            Value::Bytes(b) => format!("{} bytes", b.len()),
            Value::Timestamp(t) => datetime::format(*t),
            Value::Json(j) => j.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(s: ScalarType) -> Source {
        Source::Scalar(s)
    }

    #[test]
    fn conversions_by_prisma_type() {
        let none = Limits::default();
        let ts = Limits {
            timestamp_precision: Some(3),
            ..Limits::default()
        };
        let dt = scalar(ScalarType::DateTime);
        let iso = convert(ValueRef::Text(b"2024-05-06T07:08:09.010+00:00"), &dt, &ts).unwrap();
        let ms = convert(ValueRef::Integer(1_714_979_289_010), &dt, &ts).unwrap();
        assert_eq!(iso, ms);
        assert!(convert(ValueRef::Text(b"not a date"), &dt, &ts).is_err());
        assert!(convert(ValueRef::Text(b"2024-05-06T07:08:09.0101Z"), &dt, &ts).is_err());
        assert_eq!(
            convert(ValueRef::Integer(1), &scalar(ScalarType::Boolean), &none).unwrap(),
            Value::Bool(true)
        );
        assert!(convert(ValueRef::Integer(2), &scalar(ScalarType::Boolean), &none).is_err());
        let int4 = Limits {
            int_range: Some((i32::MIN.into(), i32::MAX.into())),
            ..Limits::default()
        };
        assert!(convert(ValueRef::Integer(1 << 40), &scalar(ScalarType::Int), &int4).is_err());
        assert_eq!(
            convert(
                ValueRef::Integer(i64::MAX),
                &scalar(ScalarType::BigInt),
                &none
            )
            .unwrap(),
            Value::Int(i64::MAX)
        );
        assert!(convert(ValueRef::Text(b"12"), &scalar(ScalarType::Int), &none).is_err());
        assert!(convert(ValueRef::Text(b"a\0b"), &scalar(ScalarType::String), &none).is_err());
        assert!(convert(ValueRef::Text(&[0xff]), &scalar(ScalarType::String), &none).is_err());
        assert_eq!(
            convert(ValueRef::Real(2.75), &scalar(ScalarType::Json), &none).unwrap(),
            Value::Json("2.75".into())
        );
        assert!(
            convert(
                ValueRef::Real(f64::INFINITY),
                &scalar(ScalarType::Json),
                &none
            )
            .is_err()
        );
        let numeric = Limits {
            numeric: Some((65, 30)),
            ..Limits::default()
        };
        let dec = scalar(ScalarType::Decimal);
        assert_eq!(
            convert(ValueRef::Real(0.1), &dec, &numeric).unwrap().show(),
            "0.1"
        );
        assert!(convert(ValueRef::Text(b"1e-31"), &dec, &numeric).is_err());
        assert!(convert(ValueRef::Text(&[b'9'; 36]), &dec, &numeric).is_err());
        let role = Source::Enum {
            name: "Role".into(),
            labels: vec!["MEMBER".into(), "administrator".into()],
        };
        assert!(convert(ValueRef::Text(b"administrator"), &role, &none).is_ok());
        assert!(convert(ValueRef::Text(b"ADMIN"), &role, &none).is_err());
    }

    #[test]
    fn canonical_bytes_ignore_json_layout_and_decimal_scale() {
        let bytes = |v: Value| {
            let mut out = Vec::new();
            v.canonical(&mut out);
            out
        };
        assert_eq!(
            bytes(Value::Json("{\"b\":1, \"a\":2.0}".into())),
            bytes(Value::Json("{\"a\":2,\"b\":1}".into()))
        );
        assert_eq!(
            bytes(Value::Numeric(Decimal::parse("1.50").unwrap())),
            bytes(Value::Numeric(Decimal::parse("1.5").unwrap()))
        );
        assert_ne!(bytes(Value::Text("1".into())), bytes(Value::Int(1)));
        assert_ne!(bytes(Value::Null), bytes(Value::Text(String::new())));
    }
}
