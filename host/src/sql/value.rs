//! Values between the sandbox and a database: [`Param`]s decoded from the MessagePack the guest
//! sends, [`SqlError`] for every failure, and [`RowBudget`], which bounds what one query may
//! hand back (rows and bytes).

use rmpv::Value;

use crate::codec::ErrorObject;
use crate::error::ErrorKind;

/// The most parameters one statement takes (PostgreSQL's own limit).
pub const MAX_PARAMS: usize = 65_535;

/// One bound parameter, typed as Lua gave it; each backend converts it to the column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Param {
    /// What the parameter is, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Param::Null => "NULL",
            Param::Bool(_) => "a boolean",
            Param::Int(_) => "an integer",
            Param::Float(_) => "a float",
            Param::Text(_) => "a string",
            Param::Bytes(_) => "a binary string",
        }
    }
}

/// The parameters in `payload`: a MessagePack array of the parameters value and, optionally,
/// how many parameters it stands for. The value is an array, or a map from 1-based position to
/// value (how Lua's `sql.NULL` and holes arrive), or nil for none; positions not given, up to
/// the count, are NULL.
pub fn params(payload: &[u8]) -> Result<Vec<Param>, SqlError> {
    let malformed = || SqlError::internal("malformed parameters from the sandbox");
    let mut values = crate::codec::decode_values(payload).map_err(|_| malformed())?;
    let count = match values.len() {
        1 => None,
        2 => Some(
            values
                .pop()
                .and_then(|n| n.as_u64())
                .ok_or_else(malformed)? as usize,
        ),
        _ => return Err(malformed()),
    };
    let mut params = match values.pop().ok_or_else(malformed)? {
        Value::Nil => Vec::new(),
        Value::Array(items) => {
            check_count(items.len())?;
            items
                .into_iter()
                .enumerate()
                .map(|(at, item)| param(at + 1, item))
                .collect::<Result<_, _>>()?
        }
        Value::Map(entries) => {
            let mut positioned = Vec::with_capacity(entries.len());
            for (key, item) in entries {
                let position = key
                    .as_u64()
                    .filter(|p| (1..=MAX_PARAMS as u64).contains(p))
                    .ok_or_else(|| {
                        SqlError::invalid(format!(
                            "parameters must be an array (positions 1 to {MAX_PARAMS}), found \
                             the key {key}"
                        ))
                    })? as usize;
                positioned.push((position, item));
            }
            let highest = positioned.iter().map(|(p, _)| *p).max().unwrap_or(0);
            let mut params = vec![Param::Null; highest];
            for (position, item) in positioned {
                params[position - 1] = param(position, item)?;
            }
            params
        }
        other => {
            return Err(SqlError::invalid(format!(
                "parameters must be an array, not {}",
                kind_of(&other)
            )));
        }
    };
    if let Some(count) = count {
        check_count(count)?;
        if count > params.len() {
            params.resize(count, Param::Null);
        }
    }
    Ok(params)
}

fn check_count(count: usize) -> Result<(), SqlError> {
    if count > MAX_PARAMS {
        return Err(SqlError::invalid(format!(
            "{count} parameters given; a statement takes at most {MAX_PARAMS}"
        )));
    }
    Ok(())
}

fn param(position: usize, value: Value) -> Result<Param, SqlError> {
    Ok(match value {
        Value::Nil => Param::Null,
        Value::Boolean(b) => Param::Bool(b),
        Value::Integer(n) => Param::Int(n.as_i64().ok_or_else(|| {
            SqlError::invalid(format!(
                "parameter {position}: {n} does not fit a 64-bit integer"
            ))
        })?),
        Value::F32(f) => Param::Float(f64::from(f)),
        Value::F64(f) => Param::Float(f),
        Value::String(s) => match s.into_str() {
            Some(text) => Param::Text(text),
            None => {
                return Err(SqlError::internal(format!(
                    "parameter {position}: the sandbox sent a string that is not UTF-8"
                )));
            }
        },
        Value::Binary(bytes) => Param::Bytes(bytes),
        other => {
            return Err(SqlError::invalid(format!(
                "parameter {position} is {}: parameters are nil/sql.NULL, booleans, numbers or \
                 strings (encode a table with json.encode first)",
                kind_of(&other)
            )));
        }
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Array(_) | Value::Map(_) => "a table",
        Value::Ext(..) => "an error object",
        Value::Nil => "nil",
        Value::Boolean(_) => "a boolean",
        Value::Integer(_) | Value::F32(_) | Value::F64(_) => "a number",
        Value::String(_) | Value::Binary(_) => "a string",
    }
}

/// Why a database call failed; the sandbox sees an error object of `kind` whose message is the
/// database's own, with its SQLSTATE or SQLite code in `details.code` when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlError {
    pub kind: ErrorKind,
    pub message: String,
    pub code: Option<String>,
}

impl SqlError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SqlError {
            kind,
            message: message.into(),
            code: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// The same error with `context` ("database 'app:db'") in front of its message.
    pub fn context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    pub fn to_error_object(&self) -> ErrorObject {
        let mut error = ErrorObject::new(self.kind, format!("sql: {}", self.message));
        error.retryable = Some(matches!(
            self.kind,
            ErrorKind::Unavailable | ErrorKind::Timeout
        ));
        if let Some(code) = &self.code {
            error.details = Some(Value::Map(vec![(
                Value::from("code"),
                Value::from(code.as_str()),
            )]));
        }
        error
    }
}

/// What one query may return: at most `max_rows` rows (the database entry's `max_rows`) and
/// about `max_bytes` bytes (the sandbox's `max_payload`). Past either the query fails rather
/// than return part of its result.
#[derive(Debug, Clone)]
pub struct RowBudget {
    pub database: String,
    pub max_rows: u32,
    pub max_bytes: usize,
    rows: u32,
    bytes: usize,
}

/// MessagePack overhead counted per value (tag and length).
const VALUE_OVERHEAD: usize = 5;

impl RowBudget {
    pub fn new(database: &str, max_rows: u32, max_bytes: usize) -> Self {
        RowBudget {
            database: database.to_owned(),
            max_rows,
            max_bytes,
            rows: 0,
            bytes: 0,
        }
    }

    /// Count one more row of `columns` (name, value) pairs.
    pub fn take(&mut self, columns: &[(Value, Value)]) -> Result<(), SqlError> {
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(SqlError::invalid(format!(
                "the query returned more than {} rows, the max_rows of database '{}' (add a \
                 LIMIT, or raise max_rows)",
                self.max_rows, self.database
            )));
        }
        self.bytes += VALUE_OVERHEAD
            + columns
                .iter()
                .map(|(name, value)| size_of(name) + size_of(value))
                .sum::<usize>();
        if self.bytes > self.max_bytes {
            return Err(SqlError::invalid(format!(
                "the query's result is larger than the sandbox's max_payload ({} bytes) after \
                 {} rows (add a LIMIT, or raise limits.max_payload)",
                self.max_bytes, self.rows
            )));
        }
        Ok(())
    }
}

fn size_of(value: &Value) -> usize {
    VALUE_OVERHEAD
        + match value {
            Value::String(s) => s.as_bytes().len(),
            Value::Binary(b) => b.len(),
            _ => 8,
        }
}

/// The outcome of `execute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    pub rows_affected: u64,
    /// SQLite's rowid of the last insert; PostgreSQL has none (use `RETURNING`).
    pub last_insert_id: Option<i64>,
}

impl Executed {
    pub fn to_msgpack(self) -> Value {
        let mut fields = vec![(
            Value::from("rows_affected"),
            Value::from(self.rows_affected),
        )];
        if let Some(id) = self.last_insert_id {
            fields.push((Value::from("last_insert_id"), Value::from(id)));
        }
        Value::Map(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: Value) -> Vec<u8> {
        crate::codec::encode_values(vec![value])
    }

    #[test]
    fn params_come_as_arrays_or_maps_with_holes() {
        let array = Value::Array(vec![Value::from(1), Value::from("a"), Value::from(1.5)]);
        assert_eq!(
            params(&encoded(array)).unwrap(),
            [Param::Int(1), Param::Text("a".into()), Param::Float(1.5)]
        );
        let holes = Value::Map(vec![
            (Value::from(3), Value::from(true)),
            (Value::from(1), Value::Binary(vec![0xff])),
        ]);
        assert_eq!(
            params(&encoded(holes)).unwrap(),
            [Param::Bytes(vec![0xff]), Param::Null, Param::Bool(true)]
        );
        assert_eq!(params(&encoded(Value::Nil)).unwrap(), []);
        let trailing =
            crate::codec::encode_values(vec![Value::Array(vec![Value::from(1)]), Value::from(3)]);
        assert_eq!(
            params(&trailing).unwrap(),
            [Param::Int(1), Param::Null, Param::Null]
        );
        let nested = Value::Array(vec![Value::Array(vec![])]);
        assert!(
            params(&encoded(nested))
                .unwrap_err()
                .message
                .starts_with("parameter 1 is a table")
        );
        let named = Value::Map(vec![(Value::from("id"), Value::from(1))]);
        assert_eq!(
            params(&encoded(named)).unwrap_err().kind,
            crate::error::ErrorKind::Invalid
        );
    }

    #[test]
    fn budgets_stop_at_rows_or_bytes() {
        let row = [(Value::from("x"), Value::from(1))];
        let mut rows = RowBudget::new("app:db", 2, 1 << 20);
        assert!(rows.take(&row).is_ok() && rows.take(&row).is_ok());
        assert!(
            rows.take(&row)
                .unwrap_err()
                .message
                .contains("more than 2 rows")
        );
        let big = [(Value::from("x"), Value::from("y".repeat(100)))];
        let mut bytes = RowBudget::new("app:db", 100, 150);
        assert!(bytes.take(&big).is_ok());
        assert!(
            bytes
                .take(&big)
                .unwrap_err()
                .message
                .contains("max_payload")
        );
    }
}
