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

/// An account row as Better Auth keeps it: a provider's account (`providerId`, `accountId`) of a
/// user, with the provider's tokens. Credential accounts have no tokens and `accountId == userId`.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Row id (Better Auth's account id in `/unlink-account`, `/get-access-token`).
    pub id: String,
    /// The provider's id of the user (GitHub's numeric id, Google's `sub`, ...).
    pub account_id: String,
    /// `credential`, `github`, `google`, ...
    pub provider_id: String,
    /// Owner.
    pub user_id: String,
    /// OAuth access token (as stored: plain, `encryptOAuthTokens` is off).
    pub access_token: Option<String>,
    /// OAuth refresh token.
    pub refresh_token: Option<String>,
    /// OpenID Connect id token.
    pub id_token: Option<String>,
    /// When the access token expires.
    pub access_token_expires_at: Option<Millis>,
    /// When the refresh token expires.
    pub refresh_token_expires_at: Option<Millis>,
    /// Granted scopes, comma-separated.
    pub scope: Option<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
}

/// The columns [`Account::from_cols`] reads, in order, for a table aliased `a`.
macro_rules! account_columns {
    () => {
        r#"a."id", a."accountId", a."providerId", a."userId", a."accessToken", a."refreshToken", a."idToken", a."accessTokenExpiresAt", a."refreshTokenExpiresAt", a."scope", a."createdAt", a."updatedAt""#
    };
}

fn opt_millis(cols: &mut super::Cols) -> Result<Option<Millis>, super::SqlError> {
    cols.opt_text()?
        .map(|text| {
            crate::time::parse_iso(&text)
                .or_else(|| text.parse().ok())
                .ok_or_else(|| super::SqlError::new(format!("expected a date, found {text:?}")))
        })
        .transpose()
}

fn opt_date(ms: Option<Millis>) -> super::Value {
    ms.map(to_iso).into()
}

impl Account {
    fn from_cols(cols: &mut super::Cols) -> Result<Account, super::SqlError> {
        Ok(Account {
            id: cols.text()?,
            account_id: cols.text()?,
            provider_id: cols.text()?,
            user_id: cols.text()?,
            access_token: cols.opt_text()?,
            refresh_token: cols.opt_text()?,
            id_token: cols.opt_text()?,
            access_token_expires_at: opt_millis(cols)?,
            refresh_token_expires_at: opt_millis(cols)?,
            scope: cols.opt_text()?,
            created_at: cols.millis()?,
            updated_at: cols.millis()?,
        })
    }

    /// The insert for this account.
    pub fn insert(&self) -> Statement {
        Statement::new(
            r#"INSERT INTO "account" ("id", "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken", "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
            [
                vec![
                    self.id.clone().into(),
                    self.account_id.clone().into(),
                    self.provider_id.clone().into(),
                    self.user_id.clone().into(),
                ],
                self.token_values(),
                vec![
                    to_iso(self.created_at).into(),
                    to_iso(self.updated_at).into(),
                ],
            ]
            .concat(),
        )
    }

    /// Tokens, their expiries and scope, in the column order both statements use.
    fn token_values(&self) -> Vec<super::Value> {
        vec![
            self.access_token.clone().into(),
            self.refresh_token.clone().into(),
            self.id_token.clone().into(),
            opt_date(self.access_token_expires_at),
            opt_date(self.refresh_token_expires_at),
            self.scope.clone().into(),
        ]
    }

    /// Writes this account's tokens and scope back (`COALESCE` keeps a stored value where the
    /// new one is absent, as Better Auth drops `undefined` fields from an update).
    pub fn update_tokens(&self) -> Statement {
        Statement::new(
            r#"UPDATE "account" SET "accessToken" = COALESCE(?, "accessToken"), "refreshToken" = COALESCE(?, "refreshToken"), "idToken" = COALESCE(?, "idToken"), "accessTokenExpiresAt" = COALESCE(?, "accessTokenExpiresAt"), "refreshTokenExpiresAt" = COALESCE(?, "refreshTokenExpiresAt"), "scope" = COALESCE(?, "scope"), "updatedAt" = ? WHERE "id" = ?"#,
            [
                self.token_values(),
                vec![to_iso(self.updated_at).into(), self.id.clone().into()],
            ]
            .concat(),
        )
    }
}

/// Every account of a user, oldest first. One round trip.
pub async fn list_for_user(
    sql: &dyn super::Sql,
    user_id: &str,
) -> Result<Vec<Account>, super::SqlError> {
    const SQL: &str = concat!(
        "SELECT ",
        account_columns!(),
        r#" FROM "account" a WHERE a."userId" = ? ORDER BY a."createdAt""#
    );
    let rows = sql.query(Statement::new(SQL, vec![user_id.into()])).await?;
    super::read_rows(rows, Account::from_cols)
}

/// The account of a provider's user, with its owner if the owner still exists (plugin columns
/// included, `schema`). One round trip.
pub async fn find_by_key_with_user(
    sql: &dyn super::Sql,
    schema: &[super::users::UserField],
    provider_id: &str,
    account_id: &str,
) -> Result<Option<(Account, Option<super::users::User>)>, super::SqlError> {
    let query = format!(
        r#"SELECT {}, {} FROM "account" a LEFT JOIN "user" u ON u."id" = a."userId" WHERE a."providerId" = ? AND a."accountId" = ? LIMIT 1"#,
        account_columns!(),
        super::users::select_columns(schema)
    );
    let rows = sql
        .query(Statement::new(
            query,
            vec![provider_id.into(), account_id.into()],
        ))
        .await?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let orphaned = row.get(12).is_none_or(|v| *v == super::Value::Null);
    let mut cols = super::Cols::new(row);
    let account = Account::from_cols(&mut cols)?;
    let user = if orphaned {
        None
    } else {
        Some(super::users::User::from_cols(&mut cols, schema)?)
    };
    Ok(Some((account, user)))
}

/// Deletes one account of a user.
pub fn delete(id: &str, user_id: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "account" WHERE "id" = ? AND "userId" = ?"#,
        vec![id.into(), user_id.into()],
    )
}
