//! The SQL migrations in `migrations/` (SQLite, which D1, Spin and libSQL speak) and
//! `migrations/postgres/` (PostgreSQL), embedded, and the runner the native host and
//! `portcullis migrate` use. Plugins bring their own, per dialect
//! (`crate::plugins::Migration`; `crate::plugins::Plugins::migrations` lists a server's).
//!
//! Applied migrations are recorded in `d1_migrations`, the table wrangler keeps for D1, so a
//! database migrated by `wrangler d1 migrations apply` and one migrated here agree on what is
//! done. Every statement is `IF NOT EXISTS`, so a database that Better Auth created is left as it
//! is.

use super::{Sql, SqlError, Statement, Value};

/// A SQL dialect with its own migration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: native rusqlite, D1, Spin SQLite, libSQL.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
        })
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sqlite" | "d1" | "libsql" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            other => Err(format!(
                "unknown dialect {other:?} (dialects: sqlite, postgres)"
            )),
        }
    }
}

/// `(file name, SQL)` of every SQLite migration, in order.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_better_auth_core.sql",
        include_str!("../../migrations/0001_better_auth_core.sql"),
    ),
    (
        "0002_rate_limit.sql",
        include_str!("../../migrations/0002_rate_limit.sql"),
    ),
];

/// `(file name, SQL)` of every PostgreSQL migration, in order; the same names as [`MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_better_auth_core.sql",
        include_str!("../../migrations/postgres/0001_better_auth_core.sql"),
    ),
    (
        "0002_rate_limit.sql",
        include_str!("../../migrations/postgres/0002_rate_limit.sql"),
    ),
];

impl Dialect {
    /// The migrations of this dialect, in order.
    pub fn migrations(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Dialect::Sqlite => MIGRATIONS,
            Dialect::Postgres => POSTGRES_MIGRATIONS,
        }
    }

    fn record_table(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);",
            Dialect::Postgres => "CREATE TABLE IF NOT EXISTS d1_migrations(id SERIAL PRIMARY KEY, name TEXT UNIQUE, applied_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP NOT NULL);",
        }
    }
}

/// Applies the core SQLite migrations not yet recorded; returns the names applied.
pub async fn apply(sql: &dyn Sql) -> Result<Vec<&'static str>, SqlError> {
    apply_list(sql, MIGRATIONS).await
}

/// Applies the SQLite migrations of `list` (the core's and plugins', see `Auth::migrations`)
/// not yet recorded, in order; returns the names applied.
pub async fn apply_list(
    sql: &dyn Sql,
    list: &[(&'static str, &'static str)],
) -> Result<Vec<&'static str>, SqlError> {
    apply_list_with(sql, Dialect::Sqlite, list, &mut |_| {}).await
}

/// Applies the core migrations of `dialect` not yet recorded, calling `progress` before each
/// one with its name; returns the names applied.
pub async fn apply_with(
    sql: &dyn Sql,
    dialect: Dialect,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<&'static str>, SqlError> {
    apply_list_with(sql, dialect, dialect.migrations(), progress).await
}

/// Applies the migrations of `list` in `dialect` not yet recorded, in order, calling `progress`
/// before each one with its name; returns the names applied. Each migration and its record are
/// one transaction. A migration that adds a column a database already has (one Better Auth
/// created with the plugin on) is applied statement by statement, skipping those columns.
pub async fn apply_list_with(
    sql: &dyn Sql,
    dialect: Dialect,
    list: &[(&'static str, &'static str)],
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<&'static str>, SqlError> {
    if dialect == Dialect::Sqlite {
        // SQLite serialises writers, and each migration is one transaction with its record.
        return apply_unlocked(sql, dialect, list, progress).await;
    }
    // PostgreSQL runs concurrent `CREATE TABLE IF NOT EXISTS` side by side (and one fails): one
    // migrator at a time, under a session advisory lock.
    const LOCK: &str = "SELECT pg_advisory_lock(72010508)";
    const UNLOCK: &str = "SELECT pg_advisory_unlock(72010508)";
    sql.query(Statement::new(LOCK, vec![])).await?;
    let applied = apply_unlocked(sql, dialect, list, progress).await;
    let unlocked = sql.query(Statement::new(UNLOCK, vec![])).await;
    let applied = applied?;
    unlocked?;
    Ok(applied)
}

async fn apply_unlocked(
    sql: &dyn Sql,
    dialect: Dialect,
    list: &[(&'static str, &'static str)],
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<&'static str>, SqlError> {
    sql.execute_script(dialect.record_table()).await?;
    let done = sql
        .query(Statement::new("SELECT name FROM d1_migrations", vec![]))
        .await?;
    let done: Vec<String> = done
        .into_iter()
        .filter_map(|row| row.into_iter().next().and_then(Value::into_text))
        .collect();
    let mut applied = Vec::new();
    for (name, script) in list {
        if done.iter().any(|d| d == name) || applied.contains(name) {
            continue;
        }
        progress(name);
        let record = format!("INSERT INTO d1_migrations (name) VALUES ('{name}');");
        match sql.execute_script(&format!("{script}\n{record}")).await {
            Ok(()) => {}
            Err(error) if error.message.contains("duplicate column name") => {
                for statement in statements(script) {
                    match sql.execute_script(&statement).await {
                        Err(e) if !e.message.contains("duplicate column name") => {
                            return Err(SqlError::new(format!("{name}: {e}")))
                        }
                        _ => {}
                    }
                }
                sql.execute_script(&record).await?;
            }
            Err(error) => return Err(SqlError::new(format!("{name}: {error}"))),
        }
        applied.push(*name);
    }
    Ok(applied)
}

/// A migration's statements: its lines without `--` comments, split after each `;`.
fn statements(script: &str) -> Vec<String> {
    let text: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split_inclusive(';')
        .map(str::trim)
        .filter(|s| s.len() > 1)
        .map(str::to_owned)
        .collect()
}
