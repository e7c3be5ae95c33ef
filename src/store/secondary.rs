//! Sessions in secondary storage ([`Kv`]): Better Auth's `secondaryStorage` layout, used as a
//! read-through cache in front of the database.
//!
//! # Layout (as Better Auth writes it)
//!
//! * `<session token>` → `{"session": {…}, "user": {…}, "checkedAt": <ms>}`: the session and its
//!   user as Better Auth stores them (dates as ISO text), plus `checkedAt`, Portcullis's own
//!   field: when this entry was last read from or written to the database.
//! * `active-sessions-<userId>` → `[{"token": "…", "expiresAt": <ms>}, …]`, sorted by expiry, kept
//!   until the last one expires.
//!
//! # Consistency contract
//!
//! KV may be eventually consistent (Workers KV: a write or delete is usually visible everywhere
//! within about 60 s, and each key takes at most one write per second). So:
//!
//! * **The database stays the record.** Every session is written to the database first (Better
//!   Auth's `storeSessionInDatabase: true`, always); KV only caches it. A KV failure is logged and
//!   never fails a request.
//! * **Exact:** only `get-session` and the gate's page checks read KV
//!   ([`crate::session::Read::LOOKUP`]). Every other endpoint (revoke-*, change-password,
//!   change-email, update-user, list-sessions, delete-user, …) and
//!   `get-session?disableCookieCache=true` read the cookie cache as Better Auth does, or the
//!   database, never KV; the sensitive ones always the database, so they refuse a revoked
//!   session at once.
//! * **Bounded:** `get-session` whose cookie cache is stale or absent is answered from KV (one
//!   KV read, no SQL). Revocation deletes the session's KV entry right after the database delete
//!   (the tokens come from the delete's `RETURNING`, not from the KV list). A KV that is
//!   consistent (the native in-memory KV, Spin's) refuses the session at once; Workers KV once the
//!   delete reaches the reading location (typically 60 s). Whatever happens to the delete, an
//!   entry answers for at most `secondaryStorage.revalidateAfter` seconds (default 3600) after
//!   `checkedAt`; then the database is read again and the entry rewritten. The same bound holds
//!   for a user's name, image or email changed through another session.
//! * **Never cached:** a session without its user (`user: null`, a Better Auth bug): an entry is
//!   always written from a session row and a user row together, and an entry without a user is
//!   a miss.
//!
//! # Where Portcullis differs from Better Auth, deliberately
//!
//! * Sessions are always also in the database, and a KV miss falls back to it (Better Auth with
//!   `secondaryStorage` and without `storeSessionInDatabase` keeps sessions only in KV).
//! * No `revoked-sessions-before-<userId>` key: reading it would be a second KV read per
//!   request, and the tokens to delete come from the database exactly.
//! * Verification values stay in the database only: they are single-use, and KV has no atomic
//!   get-and-delete.
//! * A database read that finds a session writes its entry (read-through), so sessions made
//!   before KV was turned on, or by another server, are cached too.

use serde::Serialize;

use super::sessions::Session;
use super::users::User;
use super::Kv;
use crate::time::Millis;

/// A KV write the request queues; the host's KV sees them after the endpoint has run
/// ([`apply`]), in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A session that was just written (created, refreshed, or its user changed): its entry and
    /// its place in `active-sessions-<userId>`.
    Remember(Session, User),
    /// A session just read from the database: its entry only.
    Cache(Session, User),
    /// Sessions deleted from the database.
    Forget(Vec<String>),
    /// Every entry listed for this user (the user changed), and the list too when `drop_list`
    /// (every session of the user is gone).
    ForgetUser {
        /// The user.
        user_id: String,
        /// Delete `active-sessions-<userId>` as well.
        drop_list: bool,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryOut<'a> {
    session: &'a Session,
    user: &'a User,
    checked_at: Millis,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reference {
    token: String,
    expires_at: Millis,
}

fn list_key(user_id: &str) -> String {
    format!("active-sessions-{user_id}")
}

/// Seconds from `now` until `at`, rounded up; 0 once past.
fn ttl(at: Millis, now: Millis) -> u64 {
    ((at - now).max(0) as u64).div_ceil(1000)
}

/// The session under `token`, if KV holds one for it that is unexpired and was checked against
/// the database within `revalidate_after` seconds. One KV read.
pub async fn find(
    kv: &dyn Kv,
    token: &str,
    now: Millis,
    revalidate_after: u64,
    log: fn(&str),
) -> Option<(Session, User)> {
    let raw = match kv.get(token).await {
        Ok(raw) => raw?,
        Err(e) => {
            log(&format!("secondary storage get: {e}"));
            return None;
        }
    };
    let entry: super::sessions::SessionAndUser = serde_json::from_slice(&raw).ok()?;
    let checked_at = entry.checked_at?;
    let fresh = entry.session.token == token
        && entry.session.user_id == entry.user.id
        && entry.session.expires_at >= now
        && checked_at <= now
        && now - checked_at <= revalidate_after as i64 * 1000;
    fresh.then_some((entry.session, entry.user))
}

/// Applies queued writes. Failures are logged: KV is a cache, and the contract above bounds what
/// a lost write can do.
pub async fn apply(kv: &dyn Kv, ops: Vec<Op>, now: Millis, revalidate_after: u64, log: fn(&str)) {
    for op in ops {
        if let Err(e) = apply_one(kv, op, now, revalidate_after).await {
            log(&format!("secondary storage: {e}"));
        }
    }
}

async fn apply_one(
    kv: &dyn Kv,
    op: Op,
    now: Millis,
    revalidate_after: u64,
) -> Result<(), super::SqlError> {
    match op {
        Op::Cache(session, user) => put_entry(kv, &session, &user, now, revalidate_after).await,
        Op::Remember(session, user) => {
            put_entry(kv, &session, &user, now, revalidate_after).await?;
            let key = list_key(&user.id);
            let mut list = read_list(kv, &key).await?;
            list.retain(|r| r.expires_at > now && r.token != session.token);
            list.push(Reference {
                token: session.token.clone(),
                expires_at: session.expires_at,
            });
            write_list(kv, &key, list, now).await
        }
        Op::Forget(tokens) => {
            for token in tokens {
                kv.delete(&token).await?;
            }
            Ok(())
        }
        Op::ForgetUser { user_id, drop_list } => {
            let key = list_key(&user_id);
            for reference in read_list(kv, &key).await? {
                kv.delete(&reference.token).await?;
            }
            if drop_list {
                kv.delete(&key).await?;
            }
            Ok(())
        }
    }
}

async fn put_entry(
    kv: &dyn Kv,
    session: &Session,
    user: &User,
    now: Millis,
    revalidate_after: u64,
) -> Result<(), super::SqlError> {
    let ttl = ttl(session.expires_at, now).min(revalidate_after);
    if ttl == 0 {
        return kv.delete(&session.token).await;
    }
    let entry = EntryOut {
        session,
        user,
        checked_at: now,
    };
    let json = serde_json::to_vec(&entry).expect("a session entry serialises");
    kv.put(&session.token, &json, ttl).await
}

async fn read_list(kv: &dyn Kv, key: &str) -> Result<Vec<Reference>, super::SqlError> {
    Ok(kv
        .get(key)
        .await?
        .and_then(|raw| parse_list(&raw))
        .unwrap_or_default())
}

/// `[{"token", "expiresAt"}, …]`, read by hand (super::json); `None` when any entry is not one.
fn parse_list(raw: &[u8]) -> Option<Vec<Reference>> {
    let serde_json::Value::Array(items) = serde_json::from_slice(raw).ok()? else {
        return None;
    };
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        let mut item = super::json::into_object(item)?;
        list.push(Reference {
            expires_at: item.get("expiresAt")?.as_i64()?,
            token: super::json::string(&mut item, "token")?,
        });
    }
    Some(list)
}

async fn write_list(
    kv: &dyn Kv,
    key: &str,
    list: Vec<Reference>,
    now: Millis,
) -> Result<(), super::SqlError> {
    // By expiry, equal expiries in list order (Better Auth's stable `sort`).
    let order = super::stable_order(list.iter().map(|r| r.expires_at).collect());
    let list: Vec<&Reference> = order.into_iter().map(|at| &list[at]).collect();
    match list.last().map(|r| ttl(r.expires_at, now)) {
        Some(ttl) if ttl > 0 => {
            let json = serde_json::to_vec(&list).expect("a session list serialises");
            kv.put(key, &json, ttl).await
        }
        _ => kv.delete(key).await,
    }
}
