//! The `user` table and the user object Better Auth sends, with the columns plugins add
//! ([`UserField`]): those travel in [`User::fields`], in the order the plugins were registered,
//! and are sent between `updatedAt` and `id` as Better Auth sends them.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Cols, Row, Sql, SqlError, Statement, Value};
use crate::time::{Iso, Millis};

/// A user, with its fields in the order Better Auth's database path sends them.
#[derive(Debug, Clone, PartialEq)]
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
    pub created_at: Millis,
    /// Last change.
    pub updated_at: Millis,
    /// Plugin columns (`twoFactorEnabled`, `username`, …) by JSON name, in schema order.
    pub fields: Vec<(String, serde_json::Value)>,
    /// 32-character id.
    pub id: String,
}

/// What a plugin column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// `integer` 0/1 in SQLite, a JSON boolean.
    Boolean,
    /// `text`, a JSON string.
    String,
    /// `integer`/`real`, a JSON number.
    Number,
}

/// A column a plugin adds to `user` (Better Auth's `schema.user.fields`). Its migration must
/// create the column; the name is both the column and the JSON key.
#[derive(Debug, Clone, PartialEq)]
pub struct UserField {
    /// Column and JSON name, e.g. `username`. ASCII letters, digits and `_` only.
    pub name: &'static str,
    /// What it holds.
    pub kind: FieldKind,
    /// Written when a user is created without it (`null` when `None`).
    pub default: Option<serde_json::Value>,
    /// Whether sign-up and update-user accept it from the request body.
    pub input: bool,
}

impl UserField {
    /// The column value as JSON.
    fn to_json(&self, value: Value) -> serde_json::Value {
        match (self.kind, value) {
            (_, Value::Null) => serde_json::Value::Null,
            (FieldKind::Boolean, v) => v.as_bool().into(),
            (_, Value::Integer(n)) => n.into(),
            (_, Value::Real(n)) => serde_json::Number::from_f64(n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            (_, Value::Text(s)) => s.into(),
            (_, Value::Blob(_)) => serde_json::Value::Null,
        }
    }
}

/// A JSON field value as the column stores it.
fn to_sql(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => (*b).into(),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0)), Value::Integer),
        serde_json::Value::String(s) => s.clone().into(),
        other => other.to_string().into(),
    }
}

/// The columns [`User::from_cols`] reads, in order, for a table aliased `u` (the plugin columns
/// follow, see [`select_columns`]).
macro_rules! user_columns {
    () => {
        r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#
    };
}

/// The user's columns for a table aliased `u`, plugin columns included.
pub fn select_columns(schema: &[UserField]) -> String {
    let mut out = String::from(user_columns!());
    for field in schema {
        out.push_str(&format!(r#", u."{}""#, field.name));
    }
    out
}

impl User {
    /// Reads the columns of [`select_columns`] (a plugin joining `user` to its own table reads
    /// the user part this way).
    pub fn from_cols(cols: &mut Cols, schema: &[UserField]) -> Result<User, SqlError> {
        let mut user = User {
            id: cols.text()?,
            name: cols.text()?,
            email: cols.text()?,
            email_verified: cols.boolean()?,
            image: cols.opt_text()?,
            created_at: cols.millis()?,
            updated_at: cols.millis()?,
            fields: Vec::with_capacity(schema.len()),
        };
        for field in schema {
            let value = field.to_json(cols.value()?);
            user.fields.push((field.name.to_owned(), value));
        }
        Ok(user)
    }

    /// A plugin field's value (`None` when the schema has no such field).
    pub fn field(&self, name: &str) -> Option<&serde_json::Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets a plugin field, keeping its place (or appending it).
    pub fn set_field(&mut self, name: &str, value: serde_json::Value) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.fields.push((name.to_owned(), value)),
        }
    }

    /// The insert for this user, its plugin fields included.
    pub fn insert(&self) -> Statement {
        let mut columns = String::from(
            r#""id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt""#,
        );
        let mut params = vec![
            self.id.clone().into(),
            self.name.clone().into(),
            self.email.clone().into(),
            self.email_verified.into(),
            self.image.clone().into(),
            crate::time::to_iso(self.created_at).into(),
            crate::time::to_iso(self.updated_at).into(),
        ];
        for (name, value) in &self.fields {
            columns.push_str(&format!(r#", "{name}""#));
            params.push(to_sql(value));
        }
        let placeholders = vec!["?"; params.len()].join(", ");
        Statement::new(
            format!(r#"INSERT INTO "user" ({columns}) VALUES ({placeholders})"#),
            params,
        )
    }

    /// Writes the core fields as in the cookie cache order (`id` first), then the plugin fields.
    pub fn serialize_cached<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(7 + self.fields.len()))?;
        out.serialize_entry("id", &self.id)?;
        out.serialize_entry("createdAt", &Iso(self.created_at))?;
        out.serialize_entry("updatedAt", &Iso(self.updated_at))?;
        out.serialize_entry("email", &self.email)?;
        out.serialize_entry("emailVerified", &self.email_verified)?;
        out.serialize_entry("name", &self.name)?;
        out.serialize_entry("image", &self.image)?;
        for (name, value) in &self.fields {
            out.serialize_entry(name, value)?;
        }
        out.end()
    }
}

impl Serialize for User {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(7 + self.fields.len()))?;
        out.serialize_entry("name", &self.name)?;
        out.serialize_entry("email", &self.email)?;
        out.serialize_entry("emailVerified", &self.email_verified)?;
        out.serialize_entry("image", &self.image)?;
        out.serialize_entry("createdAt", &Iso(self.created_at))?;
        out.serialize_entry("updatedAt", &Iso(self.updated_at))?;
        for (name, value) in &self.fields {
            out.serialize_entry(name, value)?;
        }
        out.serialize_entry("id", &self.id)?;
        out.end()
    }
}

/// Reads a user object in any key order; keys other than the core ones become plugin fields, in
/// the order they come (a cookie cache written by either server keeps the schema's order).
impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        struct UserVisitor;
        impl<'de> Visitor<'de> for UserVisitor {
            type Value = User;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a user object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<User, A::Error> {
                use serde::de::Error;
                let (mut id, mut name, mut email, mut email_verified) = (None, None, None, None);
                let (mut image, mut created_at, mut updated_at) = (None, None, None);
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Id => id = Some(map.next_value()?),
                        Key::Name => name = Some(map.next_value()?),
                        Key::Email => email = Some(map.next_value()?),
                        Key::EmailVerified => email_verified = Some(map.next_value()?),
                        Key::Image => image = map.next_value()?,
                        Key::CreatedAt => created_at = Some(map.next_value::<Date>()?.0),
                        Key::UpdatedAt => updated_at = Some(map.next_value::<Date>()?.0),
                        Key::Other(key) => fields.push((key, map.next_value()?)),
                    }
                }
                Ok(User {
                    id: id.ok_or_else(|| A::Error::missing_field("id"))?,
                    name: name.ok_or_else(|| A::Error::missing_field("name"))?,
                    email: email.ok_or_else(|| A::Error::missing_field("email"))?,
                    email_verified: email_verified
                        .ok_or_else(|| A::Error::missing_field("emailVerified"))?,
                    image,
                    created_at: created_at.ok_or_else(|| A::Error::missing_field("createdAt"))?,
                    updated_at: updated_at.ok_or_else(|| A::Error::missing_field("updatedAt"))?,
                    fields,
                })
            }
        }
        d.deserialize_map(UserVisitor)
    }
}

/// A user object's key: the core ones matched where they lie (no allocation), any other kept as
/// a plugin field's name.
enum Key {
    Id,
    Name,
    Email,
    EmailVerified,
    Image,
    CreatedAt,
    UpdatedAt,
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a user field name")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "id" => Key::Id,
                    "name" => Key::Name,
                    "email" => Key::Email,
                    "emailVerified" => Key::EmailVerified,
                    "image" => Key::Image,
                    "createdAt" => Key::CreatedAt,
                    "updatedAt" => Key::UpdatedAt,
                    other => Key::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// A user object's date: ISO-8601 text or a number of milliseconds.
struct Date(Millis);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        crate::time::iso::deserialize_text_or_number(d).map(Date)
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
    schema: &[UserField],
    email: &str,
) -> Result<Option<UserWithPassword>, SqlError> {
    find_with_password(sql, schema, r#"u."email""#, email).await
}

/// The user whose `column` (of `u`, e.g. `u."username"`) equals `value`, with its credential
/// password. One round trip.
pub async fn find_with_password(
    sql: &dyn Sql,
    schema: &[UserField],
    column: &str,
    value: &str,
) -> Result<Option<UserWithPassword>, SqlError> {
    let query = format!(
        r#"SELECT {}, a."id", a."password" FROM "user" u LEFT JOIN "account" a ON a."userId" = u."id" AND a."providerId" = 'credential' WHERE {column} = ? LIMIT 1"#,
        select_columns(schema)
    );
    let rows = sql.query(Statement::new(query, vec![value.into()])).await?;
    rows.into_iter()
        .next()
        .map(|row: Row| {
            let mut cols = Cols::new(row);
            Ok(UserWithPassword {
                user: User::from_cols(&mut cols, schema)?,
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
pub async fn find_by_id(
    sql: &dyn Sql,
    schema: &[UserField],
    id: &str,
) -> Result<Option<User>, SqlError> {
    find_by(sql, schema, r#"u."id""#, id).await
}

/// The user whose `column` (of `u`, e.g. `u."username"`) equals `value`. One round trip.
pub async fn find_by(
    sql: &dyn Sql,
    schema: &[UserField],
    column: &str,
    value: &str,
) -> Result<Option<User>, SqlError> {
    let query = format!(
        r#"SELECT {} FROM "user" u WHERE {column} = ? LIMIT 1"#,
        select_columns(schema)
    );
    let rows = sql.query(Statement::new(query, vec![value.into()])).await?;
    rows.into_iter()
        .next()
        .map(|row| User::from_cols(&mut Cols::new(row), schema))
        .transpose()
}

/// The user with this (lower-cased) email. One round trip.
pub async fn find_by_email(
    sql: &dyn Sql,
    schema: &[UserField],
    email: &str,
) -> Result<Option<User>, SqlError> {
    find_by(sql, schema, r#"u."email""#, email).await
}

/// Writes a user's name, image, email, verification flag and plugin fields as they are in `user`.
pub fn update(user: &User) -> Statement {
    let mut sets = String::from(
        r#""name" = ?, "image" = ?, "email" = ?, "emailVerified" = ?, "updatedAt" = ?"#,
    );
    let mut params = vec![
        user.name.clone().into(),
        user.image.clone().into(),
        user.email.clone().into(),
        user.email_verified.into(),
        crate::time::to_iso(user.updated_at).into(),
    ];
    for (name, value) in &user.fields {
        sets.push_str(&format!(r#", "{name}" = ?"#));
        params.push(to_sql(value));
    }
    params.push(user.id.clone().into());
    Statement::new(
        format!(r#"UPDATE "user" SET {sets} WHERE "id" = ?"#),
        params,
    )
}

/// Sets one plugin column of a user (`column` is a [`UserField::name`]).
pub fn update_field(id: &str, column: &str, value: &serde_json::Value, now: Millis) -> Statement {
    Statement::new(
        format!(r#"UPDATE "user" SET "{column}" = ?, "updatedAt" = ? WHERE "id" = ?"#),
        vec![to_sql(value), crate::time::to_iso(now).into(), id.into()],
    )
}

/// Deletes a user (sessions and accounts go with it: the caller batches their deletes too, as
/// foreign-key cascades are off on some hosts).
pub fn delete(id: &str) -> Statement {
    Statement::new(r#"DELETE FROM "user" WHERE "id" = ?"#, vec![id.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_object_reads_in_any_order_with_plugin_fields_and_numeric_dates() {
        let user: User = serde_json::from_str(
            r#"{"id":"u1","createdAt":"2026-11-27T09:23:50.596Z","updatedAt":1795771430597,
                "email":"a@b.c","emailVerified":true,"name":"A","image":null,
                "twoFactorEnabled":false,"username":"a"}"#,
        )
        .unwrap();
        assert_eq!(user.id, "u1");
        assert_eq!(
            (user.created_at, user.updated_at),
            (1_795_771_430_596, 1_795_771_430_597)
        );
        assert_eq!(
            (user.email.as_str(), user.email_verified, user.name.as_str()),
            ("a@b.c", true, "A")
        );
        assert_eq!(user.image, None);
        assert_eq!(
            user.fields,
            vec![
                (
                    "twoFactorEnabled".to_owned(),
                    serde_json::Value::Bool(false)
                ),
                ("username".to_owned(), serde_json::Value::from("a")),
            ]
        );
        assert_eq!(
            serde_json::to_string(&user).unwrap(),
            r#"{"name":"A","email":"a@b.c","emailVerified":true,"image":null,"createdAt":"2026-11-27T09:23:50.596Z","updatedAt":"2026-11-27T09:23:50.597Z","twoFactorEnabled":false,"username":"a","id":"u1"}"#
        );
        for bad in [
            r#"{"id":"u1","createdAt":1.5,"updatedAt":1,"email":"a","emailVerified":true,"name":"A"}"#,
            r#"{"id":"u1","createdAt":"then","updatedAt":1,"email":"a","emailVerified":true,"name":"A"}"#,
            r#"{"id":"u1","updatedAt":1,"email":"a","emailVerified":true,"name":"A"}"#,
        ] {
            assert!(serde_json::from_str::<User>(bad).is_err(), "{bad}");
        }
    }
}
