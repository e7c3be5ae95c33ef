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

/// Deletes every row with this identifier and returns the newest of them (`RETURNING`): Better
/// Auth's `consumeVerificationValue`, in one round trip. Of two racing requests only one gets
/// the row. The caller checks `expires_at` (an expired row is consumed all the same).
pub async fn consume_by_identifier(
    sql: &dyn Sql,
    identifier: &str,
) -> Result<Option<Verification>, SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"DELETE FROM "verification" WHERE "identifier" = ? RETURNING "id", "identifier", "value", "expiresAt", "createdAt""#,
            vec![identifier.into()],
        ))
        .await?;
    let mut newest: Option<(Millis, Verification)> = None;
    for row in rows {
        let mut cols = Cols::new(row);
        let verification = Verification {
            id: cols.text()?,
            identifier: cols.text()?,
            value: cols.text()?,
            expires_at: cols.millis()?,
        };
        let created_at = cols.millis()?;
        if newest.as_ref().is_none_or(|(at, _)| created_at >= *at) {
            newest = Some((created_at, verification));
        }
    }
    Ok(newest.map(|(_, v)| v))
}

/// Replaces a row's value (an attempt counter, say), keeping its expiry.
pub fn update_value(id: &str, value: &str, now: Millis) -> Statement {
    Statement::new(
        r#"UPDATE "verification" SET "value" = ?, "updatedAt" = ? WHERE "id" = ?"#,
        vec![value.into(), to_iso(now).into(), id.into()],
    )
}
