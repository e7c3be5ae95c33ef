//! Storage: the [`Sql`] driver trait every host implements in one file, the optional [`Kv`]
//! secondary storage, and typed queries over Better Auth's tables (`user`, `session`, `account`,
//! `verification`).
//!
//! SQL is the SQLite dialect, which D1, Spin SQLite, libSQL and the native rusqlite driver all
//! speak. Every function here states how many round trips it costs; the endpoint budgets in
//! DESIGN.md are sums of these and are enforced by tests that count calls ([`CountingSql`]).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use async_trait::async_trait;

/// The positions of `keys` in the order a stable sort by key puts them (JavaScript's `sort`),
/// through the unstable sort of (key, position) pairs: one small sort of one type in the Worker
/// instead of a stable sort per element type (each several KB).
pub fn stable_order(keys: Vec<i64>) -> Vec<usize> {
    let mut pairs: Vec<(i64, usize)> = keys.into_iter().zip(0..).collect();
    pairs.sort_unstable();
    pairs.into_iter().map(|(_, at)| at).collect()
}

pub mod accounts;
pub(crate) mod json;
pub mod libsql;
pub mod migrations;
pub mod secondary;
pub mod sessions;
pub mod users;
pub mod verifications;

/// One SQLite value, as a driver binds or returns it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// INTEGER (also booleans, as 0/1).
    Integer(i64),
    /// REAL.
    Real(f64),
    /// TEXT (also dates, as ISO-8601).
    Text(String),
    /// BLOB.
    Blob(Vec<u8>),
}

impl Value {
    /// The text, if this is TEXT.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Takes the text out, if this is TEXT.
    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean column: 0/1 integers (SQLite), or `true`/`false` text some adapters write.
    pub fn as_bool(&self) -> bool {
        match self {
            Value::Integer(n) => *n != 0,
            Value::Real(n) => *n != 0.0,
            Value::Text(s) => s == "true" || s == "1",
            _ => false,
        }
    }

    /// A `date` column: ISO-8601 text (Better Auth's Kysely adapter) or Unix milliseconds.
    pub fn as_millis(&self) -> Option<crate::time::Millis> {
        match self {
            Value::Text(s) => crate::time::parse_iso(s),
            Value::Integer(n) => Some(*n),
            Value::Real(n) => Some(*n as i64),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Integer(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Integer(b as i64)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A row, by column position (queries name their columns, so positions are stable).
pub type Row = Vec<Value>;

/// One SQL statement with `?` placeholders and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text: a constant, or built once the user's plugin columns are known.
    pub sql: Cow<'static, str>,
    /// Values for the `?` placeholders, in order.
    pub params: Vec<Value>,
}

impl Statement {
    /// A statement with parameters.
    pub fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Value>) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}

/// A driver failure. Its text is for the host's log and never reaches a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// What went wrong, as the driver said it.
    pub message: String,
    /// A UNIQUE constraint failed (a concurrent sign-up with the same email, say).
    pub unique_violation: bool,
}

impl SqlError {
    /// An error from a driver message; UNIQUE violations are recognised by SQLite's wording,
    /// which D1, Spin and rusqlite all pass through.
    pub fn new(message: impl Into<String>) -> Self {
        let message = message.into();
        let unique_violation = message.contains("UNIQUE constraint failed");
        SqlError {
            message,
            unique_violation,
        }
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

/// A SQL database in the SQLite dialect. One call is one round trip.
///
/// Futures are not `Send`: the wasm hosts are single-threaded, and the native host runs one
/// current-thread runtime per worker thread, each with its own connection.
#[async_trait(?Send)]
pub trait Sql {
    /// Runs one statement and returns its rows (none for writes).
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError>;

    /// Runs statements in order as one transaction and one round trip (D1 `batch`); all or
    /// nothing. Returns each statement's rows.
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError>;

    /// Runs a migration script (several statements, no parameters) as one transaction.
    async fn execute_script(&self, script: &str) -> Result<(), SqlError>;
}

/// Wraps a driver and counts its round trips: the database budget tests read it.
pub struct CountingSql<S> {
    inner: S,
    queries: Cell<u32>,
    batches: Cell<u32>,
}

impl<S> CountingSql<S> {
    /// Starts counting at zero.
    pub fn new(inner: S) -> Self {
        CountingSql {
            inner,
            queries: Cell::new(0),
            batches: Cell::new(0),
        }
    }
    /// `(query calls, batch calls)` since the last reset.
    pub fn counts(&self) -> (u32, u32) {
        (self.queries.get(), self.batches.get())
    }
    /// Sets both counts back to zero.
    pub fn reset(&self) {
        self.queries.set(0);
        self.batches.set(0);
    }
}

#[async_trait(?Send)]
impl<S: Sql> Sql for CountingSql<S> {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        self.queries.set(self.queries.get() + 1);
        self.inner.query(statement).await
    }
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        self.batches.set(self.batches.get() + 1);
        self.inner.batch(statements).await
    }
    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        self.inner.execute_script(script).await
    }
}

#[async_trait(?Send)]
impl<S: Sql + ?Sized> Sql for Box<S> {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        (**self).query(statement).await
    }
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        (**self).batch(statements).await
    }
    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        (**self).execute_script(script).await
    }
}

#[async_trait(?Send)]
impl<S: Sql + ?Sized> Sql for std::rc::Rc<S> {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        (**self).query(statement).await
    }
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        (**self).batch(statements).await
    }
    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        (**self).execute_script(script).await
    }
}

/// Optional secondary storage (Workers KV, Spin KV, the native in-memory KV): Better Auth's
/// `secondaryStorage`.
///
/// Consistency contract: Workers KV is eventually consistent (about 60 s between locations) and
/// takes one write per key per second. KV is therefore never the only record of anything that
/// must be exact, and readers must accept a value some time out of date:
///
/// * sessions (`secondaryStorage.enabled`): the database is the record and KV a read-through
///   cache; sensitive endpoints read the database, and `get-session` trusts a KV entry for at
///   most `secondaryStorage.revalidateAfter` seconds after it was checked against the database.
///   The full contract is in [`secondary`].
/// * rate-limit counters (`rateLimit.storage: "secondary-storage"`): approximate.
/// * verification values: never in KV (single use needs an atomic get-and-delete).
#[async_trait(?Send)]
pub trait Kv {
    /// The value under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError>;
    /// Stores `value` under `key`, kept at least `ttl_seconds` (hosts without TTLs keep it longer).
    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), SqlError>;
    /// Removes `key`.
    async fn delete(&self, key: &str) -> Result<(), SqlError>;
}

/// Wraps a KV and counts its calls: the round-trip budget tests read it.
pub struct CountingKv<K> {
    inner: K,
    counts: Cell<KvCounts>,
}

/// KV calls by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvCounts {
    /// `get` calls.
    pub reads: u32,
    /// `put` calls.
    pub writes: u32,
    /// `delete` calls.
    pub deletes: u32,
}

impl<K> CountingKv<K> {
    /// Starts counting at zero.
    pub fn new(inner: K) -> Self {
        CountingKv {
            inner,
            counts: Cell::new(KvCounts::default()),
        }
    }
    /// Calls since the last reset.
    pub fn counts(&self) -> KvCounts {
        self.counts.get()
    }
    /// Sets the counts back to zero.
    pub fn reset(&self) {
        self.counts.set(KvCounts::default());
    }
    /// The wrapped KV.
    pub fn inner(&self) -> &K {
        &self.inner
    }
    fn count(&self, f: impl FnOnce(&mut KvCounts)) {
        let mut counts = self.counts.get();
        f(&mut counts);
        self.counts.set(counts);
    }
}

#[async_trait(?Send)]
impl<K: Kv> Kv for CountingKv<K> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError> {
        self.count(|c| c.reads += 1);
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), SqlError> {
        self.count(|c| c.writes += 1);
        self.inner.put(key, value, ttl_seconds).await
    }
    async fn delete(&self, key: &str) -> Result<(), SqlError> {
        self.count(|c| c.deletes += 1);
        self.inner.delete(key).await
    }
}

#[async_trait(?Send)]
impl<K: Kv + ?Sized> Kv for std::rc::Rc<K> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, SqlError> {
        (**self).get(key).await
    }
    async fn put(&self, key: &str, value: &[u8], ttl_seconds: u64) -> Result<(), SqlError> {
        (**self).put(key, value, ttl_seconds).await
    }
    async fn delete(&self, key: &str) -> Result<(), SqlError> {
        (**self).delete(key).await
    }
}

/// Each row read into a `T` by `read`; the first error stops. A loop rather than
/// `collect::<Result<Vec<_>, _>>()`, whose adapter is a larger function per `T` in the Worker.
pub fn read_rows<T>(
    rows: Vec<Row>,
    read: impl Fn(&mut Cols) -> Result<T, SqlError>,
) -> Result<Vec<T>, SqlError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(read(&mut Cols::new(row))?);
    }
    Ok(out)
}

/// Columns are read by position; a short or mistyped row is a storage error, never a panic.
/// Public so plugins read their own tables the way the core reads its.
pub struct Cols(std::vec::IntoIter<Value>);

impl Cols {
    /// Reads `row` from its first column.
    pub fn new(row: Row) -> Self {
        Cols(row.into_iter())
    }
    fn next(&mut self) -> Result<Value, SqlError> {
        self.0
            .next()
            .ok_or_else(|| SqlError::new("row has fewer columns than selected"))
    }
    /// The next column as text (integers are written out).
    pub fn text(&mut self) -> Result<String, SqlError> {
        match self.next()? {
            Value::Text(s) => Ok(s),
            Value::Integer(n) => Ok(n.to_string()),
            other => Err(SqlError::new(format!("expected text, found {other:?}"))),
        }
    }
    /// The next column as text, or `None` for NULL.
    pub fn opt_text(&mut self) -> Result<Option<String>, SqlError> {
        match self.next()? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s)),
            Value::Integer(n) => Ok(Some(n.to_string())),
            other => Err(SqlError::new(format!("expected text, found {other:?}"))),
        }
    }
    /// The next column as it is.
    pub fn value(&mut self) -> Result<Value, SqlError> {
        self.next()
    }
    /// The next column as a boolean (0/1, or `true`/`false` text).
    pub fn boolean(&mut self) -> Result<bool, SqlError> {
        Ok(self.next()?.as_bool())
    }
    /// The next column as a date (ISO text or Unix milliseconds).
    pub fn millis(&mut self) -> Result<crate::time::Millis, SqlError> {
        let v = self.next()?;
        v.as_millis()
            .ok_or_else(|| SqlError::new(format!("expected a date, found {v:?}")))
    }
}
