//! What the operators of an expression do to values: indexing `a[i]`, slicing `a[i:j]`, and
//! the binary operators (`==` with a bounded walk, `<` on numbers or strings, arithmetic on
//! integers with overflow checked or on floats, `+` joining strings).

use std::sync::Arc;

use super::value::Value;
use crate::config::template::ast::BinOp;

/// The most parts one `==` compares.
const EQUALITY_BUDGET: u32 = 1 << 20;

fn int_index(index: &Value) -> Result<i64, String> {
    match index {
        Value::Int(n) => Ok(*n),
        Value::Float(n) if n.fract() == 0.0 => Ok(*n as i64),
        other => Err(format!("an index must be an integer, not {}", other.type_name())),
    }
}

pub fn index_of(of: Value, index: Value, max_len: usize) -> Result<Value, String> {
    match of {
        // An empty Lua table crosses as an empty list: a key finds nothing in it.
        Value::List(items) if items.is_empty() && index.as_text().is_some() => Ok(Value::Nil),
        Value::List(items) => {
            let i = int_index(&index)?;
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i).cloned())
                .ok_or_else(|| format!("index {i} out of range (length {})", items.len()))
        }
        Value::Map(map) => Ok(map.get(&index.display(max_len)?).cloned().unwrap_or(Value::Nil)),
        Value::Str(s) | Value::Safe(s) => {
            let i = int_index(&index)?;
            usize::try_from(i)
                .ok()
                .and_then(|i| s.as_bytes().get(i).copied())
                .map(|b| Value::Int(b.into()))
                .ok_or_else(|| format!("index {i} out of range (length {})", s.len()))
        }
        Value::Nil => Ok(Value::Nil),
        other => Err(format!("cannot index {}", other.type_name())),
    }
}

pub fn slice_of(of: Value, from: Option<Value>, to: Option<Value>) -> Result<Value, String> {
    let len = match &of {
        Value::List(items) => items.len(),
        Value::Str(s) | Value::Safe(s) => s.len(),
        other => return Err(format!("cannot slice {}", other.type_name())),
    };
    let bound = |v: Option<Value>, default: usize| -> Result<usize, String> {
        match v {
            None => Ok(default),
            Some(v) => {
                let n = int_index(&v)?;
                usize::try_from(n).ok().filter(|n| *n <= len).ok_or_else(|| format!("slice bound {n} out of range (length {len})"))
            }
        }
    };
    let (from, to) = (bound(from, 0)?, bound(to, len)?);
    if from > to {
        return Err(format!("slice bounds {from}:{to} are reversed"));
    }
    match of {
        Value::List(items) => Ok(Value::List(Arc::new(items[from..to].to_vec()))),
        Value::Str(s) | Value::Safe(s) => s
            .get(from..to)
            .map(Value::str)
            .ok_or_else(|| format!("slice {from}:{to} cuts a UTF-8 character")),
        _ => Err("cannot slice".into()),
    }
}

pub fn binary(op: BinOp, a: Value, b: Value, max_len: usize) -> Result<Value, String> {
    use std::cmp::Ordering;
    let order = |a: &Value, b: &Value| -> Result<Ordering, String> {
        if let (Some(x), Some(y)) = (a.as_text(), b.as_text()) {
            return Ok(x.cmp(y));
        }
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            _ => match (a.number(), b.number()) {
                (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(|| "cannot compare NaN".to_string()),
                _ => Err(format!("cannot compare {} with {}", a.type_name(), b.type_name())),
            },
        }
    };
    match op {
        BinOp::Eq | BinOp::Ne => {
            let mut budget = EQUALITY_BUDGET;
            let equal = a
                .equals(&b, &mut budget)
                .ok_or_else(|| "values too large to compare".to_string())?;
            return Ok(Value::Bool(equal == (op == BinOp::Eq)));
        }
        BinOp::Lt => return Ok(Value::Bool(order(&a, &b)?.is_lt())),
        BinOp::Le => return Ok(Value::Bool(order(&a, &b)?.is_le())),
        BinOp::Gt => return Ok(Value::Bool(order(&a, &b)?.is_gt())),
        BinOp::Ge => return Ok(Value::Bool(order(&a, &b)?.is_ge())),
        _ => {}
    }
    if op == BinOp::Add && (a.as_text().is_some() || b.as_text().is_some()) {
        let (x, y) = (a.display(max_len)?, b.display(max_len)?);
        if x.len() + y.len() > max_len {
            return Err(format!("a string longer than the output limit ({max_len} bytes)"));
        }
        return Ok(Value::str(x + &y));
    }
    match (&a, &b) {
        (Value::Int(x), Value::Int(y)) => {
            let result = match op {
                BinOp::Add => x.checked_add(*y),
                BinOp::Sub => x.checked_sub(*y),
                BinOp::Mul => x.checked_mul(*y),
                BinOp::Div | BinOp::Rem if *y == 0 => return Err("division by zero".into()),
                BinOp::Div => x.checked_div(*y),
                BinOp::Rem => x.checked_rem(*y),
                _ => None,
            };
            result.map(Value::Int).ok_or_else(|| "integer overflow".into())
        }
        _ => match (a.number(), b.number()) {
            (Some(x), Some(y)) => Ok(Value::Float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                _ => x % y,
            })),
            _ => Err(format!("cannot do arithmetic on {} and {}", a.type_name(), b.type_name())),
        },
    }
}

