//! The `account` table: for now the `credential` account that holds a password hash.

use super::Statement;
use crate::time::{to_iso, Millis};

/// The insert for a new credential account. Better Auth sets `accountId` to the user id.
pub fn insert_credential(id: &str, user_id: &str, password_hash: &str, now: Millis) -> Statement {
    Statement::new(
        r#"INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt") VALUES (?, ?, 'credential', ?, ?, ?, ?)"#,
        vec![
            id.into(),
            user_id.into(),
            user_id.into(),
            password_hash.into(),
            to_iso(now).into(),
            to_iso(now).into(),
        ],
    )
}

/// Replaces the password hash of a credential account (a rehash after sign-in).
pub fn update_password(account_id: &str, password_hash: &str, now: Millis) -> Statement {
    Statement::new(
        r#"UPDATE "account" SET "password" = ?, "updatedAt" = ? WHERE "id" = ?"#,
        vec![password_hash.into(), to_iso(now).into(), account_id.into()],
    )
}

/// The credential account of a user: `(account id, password hash)`. One round trip.
pub async fn find_credential(
    sql: &dyn super::Sql,
    user_id: &str,
) -> Result<Option<(String, Option<String>)>, super::SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"SELECT "id", "password" FROM "account" WHERE "userId" = ? AND "providerId" = 'credential' LIMIT 1"#,
            vec![user_id.into()],
        ))
        .await?;
    rows.into_iter()
        .next()
        .map(|row| {
            let mut cols = super::Cols::new(row);
            Ok((cols.text()?, cols.opt_text()?))
        })
        .transpose()
}

/// Deletes every account of a user.
pub fn delete_for_user(user_id: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "account" WHERE "userId" = ?"#,
        vec![user_id.into()],
    )
}
