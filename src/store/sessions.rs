//! The `session` table and the session object Better Auth sends.

use serde::{Deserialize, Serialize};

use super::users::{select_columns, User, UserField};
use super::{Cols, Sql, SqlError, Statement};
use crate::time::{to_iso, Millis};

/// A session row, fields in the order Better Auth's database path sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// When the session ends.
    #[serde(with = "crate::time::iso")]
    pub expires_at: Millis,
    /// The opaque 32-character token the session cookie signs.
    pub token: String,
    /// Creation time.
    #[serde(with = "crate::time::iso")]
    pub created_at: Millis,
    /// Last refresh.
    #[serde(with = "crate::time::iso")]
    pub updated_at: Millis,
    /// Client IP as the configured header gave it (`""` when none).
    pub ip_address: Option<String>,
    /// The request's `user-agent`.
    pub user_agent: Option<String>,
    /// Owner.
    pub user_id: String,
    /// 32-character id.
    pub id: String,
}

/// `{"session": …, "user": …}` with the members its three readers look at: the cookie cache
/// payload (`version`), a secondary-storage entry (`checkedAt`) and the `get-session` answer.
/// One derived reader for the three (each derive is its own copy of serde_json's struct reader
/// in the Worker); a member none of them writes is simply absent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAndUser<'a> {
    /// The session.
    pub session: Session,
    /// Its user.
    pub user: User,
    /// The cookie cache's `cookieCache.version`.
    #[serde(default, borrow)]
    pub version: Option<std::borrow::Cow<'a, str>>,
    /// When a secondary-storage entry was last checked against the database.
    #[serde(default)]
    pub checked_at: Option<Millis>,
}

macro_rules! session_columns {
    () => {
        r#"s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt", s."ipAddress", s."userAgent", s."userId""#
    };
}

impl Session {
    fn from_cols(cols: &mut Cols) -> Result<Session, SqlError> {
        Ok(Session {
            id: cols.text()?,
            expires_at: cols.millis()?,
            token: cols.text()?,
            created_at: cols.millis()?,
            updated_at: cols.millis()?,
            ip_address: cols.opt_text()?,
            user_agent: cols.opt_text()?,
            user_id: cols.text()?,
        })
    }

    /// The insert for this session.
    pub fn insert(&self) -> Statement {
        Statement::new(
            r#"INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
            vec![
                self.id.clone().into(),
                to_iso(self.expires_at).into(),
                self.token.clone().into(),
                to_iso(self.created_at).into(),
                to_iso(self.updated_at).into(),
                self.ip_address.clone().into(),
                self.user_agent.clone().into(),
                self.user_id.clone().into(),
            ],
        )
    }
}

/// The session with this token and its user, in one round trip.
pub async fn find_with_user(
    sql: &dyn Sql,
    schema: &[UserField],
    token: &str,
) -> Result<Option<(Session, User)>, SqlError> {
    let query = format!(
        r#"SELECT {}, {} FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE s."token" = ? LIMIT 1"#,
        session_columns!(),
        select_columns(schema)
    );
    let rows = sql.query(Statement::new(query, vec![token.into()])).await?;
    rows.into_iter()
        .next()
        .map(|row| {
            let mut cols = Cols::new(row);
            Ok((
                Session::from_cols(&mut cols)?,
                User::from_cols(&mut cols, schema)?,
            ))
        })
        .transpose()
}

/// Every session of a user (expired ones included: the caller filters by its clock).
pub async fn list_for_user(sql: &dyn Sql, user_id: &str) -> Result<Vec<Session>, SqlError> {
    const SQL: &str = concat!(
        "SELECT ",
        session_columns!(),
        r#" FROM "session" s WHERE s."userId" = ?"#
    );
    let rows = sql.query(Statement::new(SQL, vec![user_id.into()])).await?;
    super::read_rows(rows, Session::from_cols)
}

/// Moves a session's expiry (the sliding refresh).
pub fn update_expiry(token: &str, expires_at: Millis, now: Millis) -> Statement {
    Statement::new(
        r#"UPDATE "session" SET "expiresAt" = ?, "updatedAt" = ? WHERE "token" = ?"#,
        vec![to_iso(expires_at).into(), to_iso(now).into(), token.into()],
    )
}

/// Deletes one session by token.
pub fn delete_by_token(token: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "session" WHERE "token" = ?"#,
        vec![token.into()],
    )
}

/// Deletes one session by token, only if it belongs to `user_id`; returns its token.
pub fn delete_by_token_for_user(token: &str, user_id: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "session" WHERE "token" = ? AND "userId" = ? RETURNING "token""#,
        vec![token.into(), user_id.into()],
    )
}

/// Deletes every session of a user; returns their tokens.
pub fn delete_for_user(user_id: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "session" WHERE "userId" = ? RETURNING "token""#,
        vec![user_id.into()],
    )
}

/// Deletes every session of a user but one; returns their tokens.
pub fn delete_others_for_user(user_id: &str, keep_token: &str) -> Statement {
    Statement::new(
        r#"DELETE FROM "session" WHERE "userId" = ? AND "token" != ? RETURNING "token""#,
        vec![user_id.into(), keep_token.into()],
    )
}
