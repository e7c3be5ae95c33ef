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
