//! Sessions: creating them, reading the current one (cookie cache first, then one database
//! query), the sliding refresh, and the session cookies — each step as Better Auth 1.7.25's
//! `getSession`, `setSessionCookie`, `setCookieCache` and `deleteSessionCookie` do it, so both
//! servers accept each other's cookies.

use std::borrow::Cow;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::context::Ctx;
use crate::cookies;
use crate::crypto::generate_id;
use crate::error::ApiError;
use crate::store::secondary::Op;
use crate::store::sessions::{self, Session, SessionAndUser};
use crate::store::users::User;
use crate::store::Row;
use crate::time::{Iso, Millis};

/// Where a current session was read from: the two are sent in different field orders, as Better
/// Auth does (a cheap way to tell on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The signed `session_data` cookie; no database access.
    CookieCache,
    /// The database.
    Database,
    /// Secondary storage (KV); sent as a database read is.
    SecondaryStorage,
}

/// A session with its user.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    /// The session row.
    pub session: Session,
    /// Its user.
    pub user: User,
    /// Where it came from.
    pub source: Source,
}

impl Serialize for Current {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Current", 2)?;
        match self.source {
            Source::Database | Source::SecondaryStorage => {
                out.serialize_field("session", &self.session)?;
                out.serialize_field("user", &self.user)?;
            }
            Source::CookieCache => {
                out.serialize_field("session", &CachedSession(&self.session))?;
                out.serialize_field("user", &CachedUser(&self.user))?;
            }
        }
        out.end()
    }
}

/// A session in the order Better Auth's schema parser emits a cookie-cache hit.
struct CachedSession<'a>(&'a Session);

impl Serialize for CachedSession<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut out = s.serialize_struct("Session", 8)?;
        out.serialize_field("id", &v.id)?;
        out.serialize_field("createdAt", &Iso(v.created_at))?;
        out.serialize_field("updatedAt", &Iso(v.updated_at))?;
        out.serialize_field("userId", &v.user_id)?;
        out.serialize_field("expiresAt", &Iso(v.expires_at))?;
        out.serialize_field("token", &v.token)?;
        out.serialize_field("ipAddress", &v.ip_address)?;
        out.serialize_field("userAgent", &v.user_agent)?;
        out.end()
    }
}

/// A user in the order Better Auth's schema parser emits a cookie-cache hit.
struct CachedUser<'a>(&'a User);

impl Serialize for CachedUser<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_cached(s)
    }
}

/// One day: the lifetime of a session whose user chose not to be remembered.
const DONT_REMEMBER_SECONDS: i64 = 86_400;

/// A new session for `user_id` (not yet stored: the caller batches its insert).
pub fn new_session(ctx: &Ctx, user_id: &str, dont_remember: bool) -> Session {
    let lifetime = if dont_remember {
        DONT_REMEMBER_SECONDS
    } else {
        ctx.config.session.expires_in as i64
    };
    Session {
        expires_at: ctx.now + lifetime * 1000,
        token: generate_id(),
        created_at: ctx.now,
        updated_at: ctx.now,
        ip_address: Some(client_ip(ctx).unwrap_or_default()),
        user_agent: Some(ctx.header("user-agent").unwrap_or_default().to_owned()),
        user_id: user_id.to_owned(),
        id: generate_id(),
    }
}

/// The client IP from the configured headers, as Better Auth's `getIP` finds and normalises it
/// (see [`crate::ip::client_ip`]: one valid IP, IPv6 cut to its /64).
pub fn client_ip(ctx: &Ctx) -> Option<String> {
    crate::ip::client_ip(ctx.headers, &ctx.config.advanced.ip_address)
}

/// Sets `session_token`, `dont_remember` and the cookie cache for a new or refreshed session.
/// `dont_remember: None` keeps what the request's `dont_remember` cookie says.
pub fn set_session_cookie(
    ctx: &mut Ctx,
    session: &Session,
    user: &User,
    dont_remember: Option<bool>,
) {
    let had_dont_remember = ctx.signed_cookie(&ctx.auth_cookies.dont_remember).is_some();
    let dont_remember = dont_remember.unwrap_or(had_dont_remember);
    let max_age = (!dont_remember).then_some(ctx.config.session.expires_in);
    let names = ctx.auth_cookies.clone();
    ctx.set_signed_cookie(&names.session_token, &session.token, max_age);
    if dont_remember {
        ctx.set_signed_cookie(&names.dont_remember, "true", None);
    } else if had_dont_remember {
        ctx.expire_cookie(&names.dont_remember);
    }
    set_cookie_cache(ctx, session, user, dont_remember);
    ctx.new_session = Some((session.clone(), user.clone()));
    ctx.queue_kv(Op::Remember(session.clone(), user.clone()));
}

/// Drops deleted sessions from secondary storage: `rows` are a session delete's
/// `RETURNING "token"` rows.
pub fn forget(ctx: &mut Ctx, rows: Vec<Row>) {
    let tokens: Vec<String> = rows
        .into_iter()
        .filter_map(|row| row.into_iter().next()?.into_text())
        .collect();
    if !tokens.is_empty() {
        ctx.queue_kv(Op::Forget(tokens));
    }
}

/// Drops one deleted session from secondary storage.
pub fn forget_token(ctx: &mut Ctx, token: &str) {
    ctx.queue_kv(Op::Forget(vec![token.to_owned()]));
}

/// Drops every KV entry of a user's sessions and their list: all of them were deleted.
pub fn forget_user(ctx: &mut Ctx, user_id: &str) {
    ctx.queue_kv(Op::ForgetUser {
        user_id: user_id.to_owned(),
        drop_list: true,
    });
}

/// Drops the KV entries of a user's sessions, so they are read again with the changed user;
/// the current session's is written again by [`set_session_cookie`].
pub fn user_changed(ctx: &mut Ctx, user_id: &str) {
    ctx.queue_kv(Op::ForgetUser {
        user_id: user_id.to_owned(),
        drop_list: false,
    });
}

/// Sets the signed `session_data` cookie (compact strategy) when the cookie cache is on.
pub fn set_cookie_cache(ctx: &mut Ctx, session: &Session, user: &User, dont_remember: bool) {
    let options = &ctx.config.session.cookie_cache;
    if !options.enabled {
        return;
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload<'a> {
        session: &'a Session,
        user: &'a User,
        updated_at: Millis,
        version: &'a str,
    }
    let payload = Payload {
        session,
        user,
        updated_at: ctx.now,
        version: &options.version,
    };
    let payload_json = serde_json::to_string(&payload).expect("session payload serialises");
    let max_age = (!dont_remember).then_some(options.max_age);
    let expires_at = ctx.now + max_age.unwrap_or(60) as i64 * 1000;
    let value = cookies::encode_cookie_cache(&payload_json, expires_at, ctx.secret);
    let name = ctx.auth_cookies.session_data.clone();
    // Better Auth's session store first expires chunks the request carried under other names.
    let chunk_prefix = format!("{name}.");
    let stale_chunks: Vec<String> = ctx
        .request_cookies
        .iter()
        .filter(|(n, _)| n.starts_with(&chunk_prefix))
        .map(|(n, _)| n.to_string())
        .collect();
    for chunk in stale_chunks {
        ctx.set_cookie(&chunk, "", Some(0));
    }
    ctx.set_cookie(&name, &value, max_age);
}

/// Better Auth's `deleteSessionCookie`: expires `session_token`, `session_data` (and its chunks)
/// and, unless told not to, `dont_remember`.
pub fn delete_session_cookie(ctx: &mut Ctx, skip_dont_remember: bool) {
    let names = ctx.auth_cookies.clone();
    ctx.expire_cookie(&names.session_token);
    ctx.expire_cookie(&names.session_data);
    ctx.expire_request_chunks(&names.session_data);
    if !skip_dont_remember {
        ctx.expire_cookie(&names.dont_remember);
    }
}

/// `session_data`, joined from its chunks when Better Auth split it.
fn session_data_cookie<'c>(ctx: &'c Ctx) -> Option<Cow<'c, str>> {
    let name = &ctx.auth_cookies.session_data;
    if let Some(value) = ctx.cookie(name).filter(|v| !v.is_empty()) {
        return Some(Cow::Borrowed(value));
    }
    let prefix = format!("{name}.");
    let chunks: Vec<(i64, &str)> = ctx
        .request_cookies
        .iter()
        .filter_map(|(n, v)| {
            Some((
                n.strip_prefix(&prefix)?.parse::<u32>().ok()?.into(),
                v.as_ref(),
            ))
        })
        .collect();
    let order = crate::store::stable_order(chunks.iter().map(|&(i, _)| i).collect());
    (!chunks.is_empty()).then(|| Cow::Owned(order.into_iter().map(|at| chunks[at].1).collect()))
}

/// Options of a session read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Read {
    /// Ignore the cookie cache and read the database (`?disableCookieCache=true`, and every
    /// sensitive endpoint).
    pub disable_cookie_cache: bool,
    /// Do not extend the session (`?disableRefresh=true`).
    pub disable_refresh: bool,
    /// May be answered from secondary storage (KV) when the cookie cache cannot: only
    /// `get-session` and the gate's page checks, never an endpoint that acts on the session
    /// (see the consistency contract in [`crate::store::secondary`]).
    pub secondary_storage: bool,
}

impl Read {
    /// The read sensitive endpoints make (Better Auth's `getAuthoritativeSessionFromCtx`): from
    /// the database, so a revoked session that the cookie cache still vouches for is refused.
    pub const AUTHORITATIVE: Read = Read {
        disable_cookie_cache: true,
        disable_refresh: false,
        secondary_storage: false,
    };

    /// The read of `get-session` and of the gate: cookie cache, then KV, then the database.
    pub const LOOKUP: Read = Read {
        disable_cookie_cache: false,
        disable_refresh: false,
        secondary_storage: true,
    };
}

/// The current session, as `GET /get-session` finds it, with the cookies that read sets.
///
/// Round trips: 0 when the cookie cache answers; with `secondaryStorage`, one KV read and no SQL
/// when KV answers; otherwise 1 (plus, with `secondaryStorage`, one KV read and one KV write);
/// 2 when the session is expired (it is deleted) or due for its daily refresh.
pub async fn current(ctx: &mut Ctx<'_>, read: Read) -> Result<Option<Current>, ApiError> {
    let cache_enabled = ctx.config.session.cookie_cache.enabled;
    let token = ctx
        .signed_cookie(&ctx.auth_cookies.session_token)
        .map(str::to_owned);
    let Some(token) = token else {
        if !cache_enabled && session_data_cookie(ctx).is_some() {
            let name = ctx.auth_cookies.session_data.clone();
            ctx.expire_request_chunks(&name);
        }
        return Ok(None);
    };
    let has_data = session_data_cookie(ctx).is_some();
    if has_data && !cache_enabled {
        let name = ctx.auth_cookies.session_data.clone();
        ctx.expire_request_chunks(&name);
    }
    let dont_remember = ctx.signed_cookie(&ctx.auth_cookies.dont_remember).is_some();

    if cache_enabled && !read.disable_cookie_cache && has_data {
        let fresh =
            session_data_cookie(ctx).and_then(|data| fresh_cookie_cache(ctx, &token, &data));
        match fresh {
            Some((session, user)) => {
                return Ok(Some(Current {
                    session,
                    user,
                    source: Source::CookieCache,
                }));
            }
            None => {
                let name = ctx.auth_cookies.session_data.clone();
                ctx.expire_cookie(&name);
            }
        }
    }

    let refresh = !dont_remember && !read.disable_refresh;
    if let Some(kv) = ctx
        .kv
        .filter(|_| read.secondary_storage && !read.disable_cookie_cache)
    {
        let revalidate = ctx.config.secondary_storage.revalidate_after;
        let cached = crate::store::secondary::find(kv, &token, ctx.now, revalidate, ctx.log).await;
        if let Some((session, user)) = cached.filter(|(s, _)| !(refresh && refresh_due(ctx, s))) {
            set_cookie_cache(ctx, &session, &user, dont_remember);
            return Ok(Some(Current {
                session,
                user,
                source: Source::SecondaryStorage,
            }));
        }
    }

    let found = sessions::find_with_user(ctx.sql, ctx.user_fields, &token).await?;
    let (session, user) = match found {
        Some((session, user)) if session.expires_at >= ctx.now => (session, user),
        expired_or_unknown => {
            delete_session_cookie(ctx, false);
            if expired_or_unknown.is_some() {
                ctx.sql.query(sessions::delete_by_token(&token)).await?;
                ctx.queue_kv(Op::Forget(vec![token]));
            }
            return Ok(None);
        }
    };
    let due = refresh && refresh_due(ctx, &session);
    if !due && read.secondary_storage && !read.disable_cookie_cache {
        ctx.queue_kv(Op::Cache(session.clone(), user.clone()));
    }
    if !refresh {
        return Ok(Some(Current {
            session,
            user,
            source: Source::Database,
        }));
    }
    let options = &ctx.config.session;
    if due {
        let expires_at = ctx.now + options.expires_in as i64 * 1000;
        ctx.sql
            .query(sessions::update_expiry(&session.token, expires_at, ctx.now))
            .await?;
        let session = Session {
            expires_at,
            updated_at: ctx.now,
            ..session
        };
        set_session_cookie(ctx, &session, &user, Some(false));
        return Ok(Some(Current {
            session,
            user,
            source: Source::Database,
        }));
    }
    set_cookie_cache(ctx, &session, &user, dont_remember);
    Ok(Some(Current {
        session,
        user,
        source: Source::Database,
    }))
}

/// The session and user a `session_data` cookie vouches for: `None` when it is forged or
/// malformed, expired, of another `cookieCache.version`, or for another session token.
fn fresh_cookie_cache(ctx: &Ctx, token: &str, data: &str) -> Option<(Session, User)> {
    let cache = cookies::decode_cookie_cache(data, ctx.secret)?;
    // `from_slice`, not `from_str`: one copy of the deserialisers in the Worker.
    let payload: SessionAndUser = serde_json::from_slice(cache.payload_json.as_bytes()).ok()?;
    let fresh = payload.session.token == token
        && payload.version.as_deref().unwrap_or("1") == ctx.config.session.cookie_cache.version
        && cache.expires_at_ms >= ctx.now
        && payload.session.expires_at >= ctx.now;
    fresh.then_some((payload.session, payload.user))
}

/// Whether a session is due for its sliding refresh (older than `updateAge`, refresh on).
fn refresh_due(ctx: &Ctx, session: &Session) -> bool {
    let options = &ctx.config.session;
    !options.disable_session_refresh
        && session.expires_at - options.expires_in as i64 * 1000 + options.update_age as i64 * 1000
            <= ctx.now
}

/// The current session or 401 `UNAUTHORIZED` (Better Auth's `sessionMiddleware`).
pub async fn require(ctx: &mut Ctx<'_>, read: Read) -> Result<Current, ApiError> {
    current(ctx, read).await?.ok_or(ApiError::UNAUTHORIZED)
}
