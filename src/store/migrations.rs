//! The SQL migrations in `migrations/`, embedded, and the runner the native host uses at start.
//!
//! Applied migrations are recorded in `d1_migrations`, the table wrangler keeps for D1, so a
//! database migrated by `wrangler d1 migrations apply` and one migrated here agree on what is
//! done. Every statement is `IF NOT EXISTS`, so a database that Better Auth created is left as it
//! is.

use super::{Sql, SqlError, Statement, Value};

/// `(file name, SQL)` of every migration, in order.
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

/// Applies the core migrations not yet recorded; returns the names applied.
pub async fn apply(sql: &dyn Sql) -> Result<Vec<&'static str>, SqlError> {
    apply_list(sql, MIGRATIONS).await
}

/// Applies the migrations of `list` (the core's and plugins', see `Auth::migrations`) not yet
/// recorded, in order; returns the names applied. Each migration and its record are one
/// transaction. A migration that adds a column a database already has (one Better Auth created
/// with the plugin on) is applied statement by statement, skipping those columns.
pub async fn apply_list(
    sql: &dyn Sql,
    list: &[(&'static str, &'static str)],
) -> Result<Vec<&'static str>, SqlError> {
    sql.execute_script(
        "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);",
    )
    .await?;
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
        let record = format!("INSERT INTO d1_migrations (name) VALUES ('{name}');");
        match sql.execute_script(&format!("{script}\n{record}")).await {
            Ok(()) => {}
            Err(error) if error.message.contains("duplicate column name") => {
                for statement in statements(script) {
                    match sql.execute_script(&statement).await {
                        Err(e) if !e.message.contains("duplicate column name") => return Err(e),
                        _ => {}
                    }
                }
                sql.execute_script(&record).await?;
            }
            Err(error) => return Err(error),
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
