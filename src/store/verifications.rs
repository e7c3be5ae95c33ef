//! The `verification` table: single-use tokens (password reset, delete-account) and the values
//! later features keep there (OAuth state, OTPs), as Better Auth stores them.

use super::{Cols, Sql, SqlError, Statement};
use crate::crypto::generate_id;
use crate::time::{to_iso, Millis};

/// A verification row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Row id.
    pub id: String,
    /// What it verifies, e.g. `reset-password:<token>`.
    pub identifier: String,
    /// The value (a user id, JSON, …).
    pub value: String,
    /// When it stops being valid.
    pub expires_at: Millis,
}

/// The insert for a new verification value.
pub fn insert(identifier: &str, value: &str, expires_at: Millis, now: Millis) -> Statement {
    Statement::new(
        r#"INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)"#,
        vec![
            generate_id().into(),
            identifier.into(),
            value.into(),
            to_iso(expires_at).into(),
            to_iso(now).into(),
            to_iso(now).into(),
        ],
    )
}

/// The newest row with this identifier. One round trip.
pub async fn find(sql: &dyn Sql, identifier: &str) -> Result<Option<Verification>, SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"SELECT "id", "identifier", "value", "expiresAt" FROM "verification" WHERE "identifier" = ? ORDER BY "createdAt" DESC LIMIT 1"#,
            vec![identifier.into()],
        ))
        .await?;
    rows.into_iter()
        .next()
        .map(|row| {
            let mut cols = Cols::new(row);
            Ok(Verification {
                id: cols.text()?,
                identifier: cols.text()?,
                value: cols.text()?,
                expires_at: cols.millis()?,
            })
        })
        .transpose()
}

/// Deletes every row with this identifier.
pub fn delete_by_identifier(identifier: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "verification" WHERE "identifier" = ?"#,
        vec![identifier.into()],
    )
}

/// Deletes a row by id, returning it if it was there (`RETURNING`): the single-use consume.
/// Two requests racing for one token cannot both get it back.
pub async fn consume(sql: &dyn Sql, id: &str) -> Result<bool, SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"DELETE FROM "verification" WHERE "id" = ? RETURNING "id""#,
            vec![id.into()],
        ))
        .await?;
    Ok(!rows.is_empty())
}
