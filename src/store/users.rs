//! The `user` table and the user object Better Auth sends.

use serde::{Deserialize, Serialize};

use super::{Cols, Row, Sql, SqlError, Statement};
use crate::time::Millis;

/// A user, with its fields in the order Better Auth's database path sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Display name; may be empty.
    pub name: String,
    /// Lower-cased email address.
    pub email: String,
    /// Whether the address was verified.
    pub email_verified: bool,
    /// Avatar URL.
    pub image: Option<String>,
    /// Creation time.
    #[serde(with = "crate::time::iso")]
    pub created_at: Millis,
    /// Last change.
    #[serde(with = "crate::time::iso")]
    pub updated_at: Millis,
    /// 32-character id.
    pub id: String,
}

/// The columns [`User::from_cols`] reads, in order, for a table aliased `u`.
macro_rules! user_columns {
    () => {
        r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#
    };
}
pub(crate) use user_columns;

impl User {
    pub(crate) fn from_cols(cols: &mut Cols) -> Result<User, SqlError> {
        Ok(User {
            id: cols.text()?,
            name: cols.text()?,
            email: cols.text()?,
            email_verified: cols.boolean()?,
            image: cols.opt_text()?,
            created_at: cols.millis()?,
            updated_at: cols.millis()?,
        })
    }

    /// The insert for this user.
    pub fn insert(&self) -> Statement {
        Statement::new(
            r#"INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)"#,
            vec![
                self.id.clone().into(),
                self.name.clone().into(),
                self.email.clone().into(),
                self.email_verified.into(),
                self.image.clone().into(),
                crate::time::to_iso(self.created_at).into(),
                crate::time::to_iso(self.updated_at).into(),
            ],
        )
    }
}

/// A user found by email, with the password hash of its credential account if it has one.
pub struct UserWithPassword {
    /// The user.
    pub user: User,
    /// `account.id` of the credential account.
    pub account_id: Option<String>,
    /// `account.password` of the credential account.
    pub password_hash: Option<String>,
}

/// The user with this (lower-cased) email and its credential password. One round trip.
pub async fn find_by_email_with_password(
    sql: &dyn Sql,
    email: &str,
) -> Result<Option<UserWithPassword>, SqlError> {
    const SQL: &str = concat!(
        "SELECT ",
        user_columns!(),
        r#", a."id", a."password" FROM "user" u LEFT JOIN "account" a ON a."userId" = u."id" AND a."providerId" = 'credential' WHERE u."email" = ? LIMIT 1"#
    );
    let rows = sql.query(Statement::new(SQL, vec![email.into()])).await?;
    rows.into_iter()
        .next()
        .map(|row: Row| {
            let mut cols = Cols::new(row);
            Ok(UserWithPassword {
                user: User::from_cols(&mut cols)?,
                account_id: cols.opt_text()?,
                password_hash: cols.opt_text()?,
            })
        })
        .transpose()
}

/// Whether a user has this (lower-cased) email. One round trip.
pub async fn email_exists(sql: &dyn Sql, email: &str) -> Result<bool, SqlError> {
    let rows = sql
        .query(Statement::new(
            r#"SELECT 1 FROM "user" WHERE "email" = ? LIMIT 1"#,
            vec![email.into()],
        ))
        .await?;
    Ok(!rows.is_empty())
}

/// The user with this id. One round trip.
pub async fn find_by_id(sql: &dyn Sql, id: &str) -> Result<Option<User>, SqlError> {
    const SQL: &str = concat!(
        "SELECT ",
        user_columns!(),
        r#" FROM "user" u WHERE u."id" = ? LIMIT 1"#
    );
    let rows = sql.query(Statement::new(SQL, vec![id.into()])).await?;
    rows.into_iter()
        .next()
        .map(|row| User::from_cols(&mut Cols::new(row)))
        .transpose()
}

/// The user with this (lower-cased) email. One round trip.
pub async fn find_by_email(sql: &dyn Sql, email: &str) -> Result<Option<User>, SqlError> {
    const SQL: &str = concat!(
        "SELECT ",
        user_columns!(),
        r#" FROM "user" u WHERE u."email" = ? LIMIT 1"#
    );
    let rows = sql.query(Statement::new(SQL, vec![email.into()])).await?;
    rows.into_iter()
        .next()
        .map(|row| User::from_cols(&mut Cols::new(row)))
        .transpose()
}

/// Writes a user's name, image, email and verification flag as they are in `user`.
pub fn update(user: &User) -> Statement {
    Statement::new(
        r#"UPDATE "user" SET "name" = ?, "image" = ?, "email" = ?, "emailVerified" = ?, "updatedAt" = ? WHERE "id" = ?"#,
        vec![
            user.name.clone().into(),
            user.image.clone().into(),
            user.email.clone().into(),
            user.email_verified.into(),
            crate::time::to_iso(user.updated_at).into(),
            user.id.clone().into(),
        ],
    )
}

/// Deletes a user (sessions and accounts go with it: the caller batches their deletes too, as
/// foreign-key cascades are off on some hosts).
pub fn delete(id: &str) -> Statement {
    Statement::new(r#"DELETE FROM "user" WHERE "id" = ?"#, vec![id.into()])
}
