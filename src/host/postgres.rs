//! PostgreSQL for the native host (`DATABASE_URL=postgres://…`), through tokio-postgres: the
//! second SQL dialect. The tables and columns are Better Auth's PostgreSQL migration's
//! (`migrations/postgres/`: quoted camelCase names, `boolean`, `timestamptz`), so a Better Auth
//! PostgreSQL database is usable as it is.
//!
//! The core writes its SQL once, in the dialect SQLite and PostgreSQL share (quoted identifiers,
//! `ON CONFLICT`, `RETURNING`); this driver turns `?` placeholders into `$1…`, binds each value
//! as the type PostgreSQL inferred for its parameter (ISO text or Unix ms → `timestamptz`, 0/1 →
//! `boolean`), and reads `timestamptz` back as the ISO text the core reads from SQLite.
//!
//! One connection per server thread, made on first use; requests of a thread take turns on it
//! (a batch holds it for its transaction). No TLS: for a database on the same host or network.

use async_trait::async_trait;
use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};

use crate::store::{Row, Sql, SqlError, Statement, Value};
use crate::time::to_iso;

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// PostgreSQL as a [`Sql`] driver.
pub struct PgSql {
    url: String,
    client: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
}

impl PgSql {
    /// A driver for the database at `url` (`postgres://user:password@host:port/db`, or
    /// key=value form); it connects on first use.
    pub fn new(url: &str) -> Result<PgSql, String> {
        url.parse::<tokio_postgres::Config>()
            .map_err(|e| format!("bad PostgreSQL URL: {e}"))?;
        Ok(PgSql {
            url: url.to_owned(),
            client: tokio::sync::Mutex::new(None),
        })
    }

    async fn client(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<tokio_postgres::Client>>, SqlError> {
        let mut guard = self.client.lock().await;
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
                .await
                .map_err(pg_error)?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            *guard = Some(client);
        }
        Ok(guard)
    }
}

fn pg_error(e: tokio_postgres::Error) -> SqlError {
    let unique = e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION);
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    };
    SqlError {
        message,
        unique_violation: unique,
    }
}

/// `?` placeholders (outside quotes and string literals) as `$1`, `$2`, ….
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut n, mut quote) = (0, None::<char>);
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (Some(q), _) if c == q => {
                quote = None;
                out.push(c);
            }
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// A value bound as whatever type PostgreSQL inferred for its parameter.
#[derive(Debug)]
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let bad = || format!("cannot bind {:?} as {ty}", self.0).into();
        match (self.0, ty) {
            (Value::Null, _) => return Ok(IsNull::Yes),
            (v, &Type::BOOL) => out.extend_from_slice(&[v.as_bool() as u8]),
            (Value::Integer(n), &Type::INT2) => {
                out.extend_from_slice(&i16::try_from(*n)?.to_be_bytes())
            }
            (Value::Integer(n), &Type::INT4) => {
                out.extend_from_slice(&i32::try_from(*n)?.to_be_bytes())
            }
            (Value::Integer(n), &Type::INT8) => out.extend_from_slice(&n.to_be_bytes()),
            (Value::Integer(n), &Type::FLOAT8) => out.extend_from_slice(&(*n as f64).to_be_bytes()),
            (Value::Real(n), &Type::FLOAT8) => out.extend_from_slice(&n.to_be_bytes()),
            (Value::Real(n), &Type::FLOAT4) => out.extend_from_slice(&(*n as f32).to_be_bytes()),
            (v, &Type::TIMESTAMPTZ | &Type::TIMESTAMP) => {
                let millis = v.as_millis().ok_or_else(bad)?;
                out.extend_from_slice(&(millis * 1000 - PG_EPOCH_MICROS).to_be_bytes());
            }
            (Value::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME) => {
                out.extend_from_slice(s.as_bytes())
            }
            (Value::Integer(n), &Type::TEXT | &Type::VARCHAR) => {
                out.extend_from_slice(n.to_string().as_bytes())
            }
            (Value::Text(s), &Type::INT8) => {
                out.extend_from_slice(&s.parse::<i64>().map_err(|_| bad())?.to_be_bytes())
            }
            (Value::Blob(b), &Type::BYTEA) => out.extend_from_slice(b),
            _ => return Err(bad()),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A column as PostgreSQL sent it (binary format), read by type.
struct Raw(Value);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Raw, Box<dyn std::error::Error + Sync + Send>> {
        let int = |raw: &[u8]| -> Result<i64, Box<dyn std::error::Error + Sync + Send>> {
            Ok(match raw.len() {
                2 => i16::from_be_bytes(raw.try_into()?) as i64,
                4 => i32::from_be_bytes(raw.try_into()?) as i64,
                8 => i64::from_be_bytes(raw.try_into()?),
                _ => return Err("bad integer".into()),
            })
        };
        Ok(Raw(match *ty {
            Type::BOOL => Value::Integer((raw.first() == Some(&1)) as i64),
            Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => Value::Integer(int(raw)?),
            Type::FLOAT4 => Value::Real(f32::from_be_bytes(raw.try_into()?) as f64),
            Type::FLOAT8 => Value::Real(f64::from_be_bytes(raw.try_into()?)),
            Type::TIMESTAMPTZ | Type::TIMESTAMP => {
                let micros = i64::from_be_bytes(raw.try_into()?) + PG_EPOCH_MICROS;
                Value::Text(to_iso(micros.div_euclid(1000)))
            }
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => Value::Text(std::str::from_utf8(raw)?.to_owned()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Raw, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

async fn run(
    client: &impl tokio_postgres::GenericClient,
    statement: &Statement,
) -> Result<Vec<Row>, SqlError> {
    let sql = numbered_placeholders(&statement.sql);
    let prepared = client.prepare(&sql).await.map_err(pg_error)?;
    let params: Vec<Param> = statement.params.iter().map(Param).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
    let rows = client.query(&prepared, &refs).await.map_err(pg_error)?;
    rows.iter()
        .map(|row| {
            (0..row.len())
                .map(|i| {
                    row.try_get::<_, Raw>(i)
                        .map(|r| r.0)
                        .map_err(|e| SqlError::new(format!("reading column {i}: {e}")))
                })
                .collect()
        })
        .collect()
}

#[async_trait(?Send)]
impl Sql for PgSql {
    async fn query(&self, statement: Statement) -> Result<Vec<Row>, SqlError> {
        let guard = self.client().await?;
        let client = guard.as_ref().expect("connected");
        run(client, &statement).await
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, SqlError> {
        let mut guard = self.client().await?;
        let client = guard.as_mut().expect("connected");
        let transaction = client.transaction().await.map_err(pg_error)?;
        let mut results = Vec::with_capacity(statements.len());
        for statement in &statements {
            results.push(run(&transaction, statement).await?);
        }
        transaction.commit().await.map_err(pg_error)?;
        Ok(results)
    }

    async fn execute_script(&self, script: &str) -> Result<(), SqlError> {
        let mut guard = self.client().await?;
        let client = guard.as_mut().expect("connected");
        let transaction = client.transaction().await.map_err(pg_error)?;
        transaction.batch_execute(script).await.map_err(pg_error)?;
        transaction.commit().await.map_err(pg_error)
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_placeholders;

    #[test]
    fn placeholders_are_numbered_outside_quotes_only() {
        assert_eq!(
            numbered_placeholders(r#"SELECT "a?" FROM "t" WHERE x = ? AND y = '?' AND z = ?"#),
            r#"SELECT "a?" FROM "t" WHERE x = $1 AND y = '?' AND z = $2"#
        );
    }
}
