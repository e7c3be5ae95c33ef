//! The user's linked accounts, as Better Auth 1.7.25's `api/routes/account.mjs`:
//! `GET /list-accounts`, `POST /unlink-account`, `POST /link-social`, `POST /get-access-token`,
//! `POST /refresh-token`, `GET /account-info`. Accounts are selected by their row id
//! (`accountId`), as 1.7.25 does; the account-cookie selection (`useAccountCookie`) is not
//! supported (no `storeAccountCookie`), so it finds no account.

use serde::Serialize;
use serde_json::Value;

use super::social::{start_flow, SocialBody};
use super::{json, Reply};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::session::{self, Read};
use crate::social::{oauth2, Provider, Tokens};
use crate::store::accounts::{self, Account};
use crate::time::{to_iso, Millis};

fn scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET /list-accounts`: `[{accountId, providerId, userId, createdAt, updatedAt, id, scopes}]`.
pub async fn list_accounts(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let current = session::require(ctx, Read::default()).await?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Listed<'a> {
        account_id: &'a str,
        provider_id: &'a str,
        user_id: &'a str,
        created_at: String,
        updated_at: String,
        id: &'a str,
        scopes: Vec<String>,
    }
    let accounts = accounts::list_for_user(ctx.sql, &current.user.id).await?;
    let listed: Vec<Listed> = accounts
        .iter()
        .map(|a| Listed {
            account_id: &a.account_id,
            provider_id: &a.provider_id,
            user_id: &a.user_id,
            created_at: to_iso(a.created_at),
            updated_at: to_iso(a.updated_at),
            id: &a.id,
            scopes: scopes(a.scope.as_deref()),
        })
        .collect();
    json(&listed)
}

/// `POST /unlink-account {accountId}`: never the last account (unless
/// `accountLinking.allowUnlinkingAll`); needs a fresh session.
pub async fn unlink_account(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let mut v = crate::http::body::Validator::new(body);
    let account_id = v.string("accountId");
    v.finish()?;
    let account_id = account_id.unwrap_or_default();
    let current = session::require(ctx, Read::default()).await?;
    let fresh_age = ctx.config.session.fresh_age as i64 * 1000;
    if fresh_age != 0 && ctx.now - current.session.created_at >= fresh_age {
        return Err(ApiError::SESSION_NOT_FRESH);
    }
    let list = accounts::list_for_user(ctx.sql, &current.user.id).await?;
    if list.len() == 1 && !ctx.config.account.account_linking.allow_unlinking_all {
        return Err(ApiError::FAILED_TO_UNLINK_LAST_ACCOUNT);
    }
    let Some(account) = list.iter().find(|a| a.id == account_id) else {
        return Err(ApiError::ACCOUNT_NOT_FOUND);
    };
    ctx.sql
        .query(accounts::delete(&account.id, &current.user.id))
        .await?;
    Ok(Reply::Json(r#"{"status":true}"#.to_owned()))
}

/// `POST /link-social`: a redirect flow whose callback links the provider's account to the
/// signed-in user (or, with `idToken`, links at once).
pub async fn link_social(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let body = SocialBody::parse(body)?;
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    let Some(provider) = ctx.social.find(body.provider) else {
        return Err(ApiError::PROVIDER_NOT_FOUND);
    };
    if let Some(id_token) = body.id_token {
        return super::id_token::link(ctx, provider, id_token, &current.user).await;
    }
    let key = crate::crypto::symmetric::purpose_key(
        ctx.secret,
        crate::social::state::LINK_SESSION_PURPOSE,
    );
    let link = crate::social::state::Link {
        user_id: current.user.id.clone(),
        email: current.user.email.clone(),
        encrypted_session_token: Some(crate::crypto::symmetric::encrypt(
            &key,
            &current.session.token,
        )),
    };
    start_flow(ctx, provider, &body, Some(link)).await
}

/// `{accountId, userId?} | {useAccountCookie: true, userId?}` of the token endpoints (a union of
/// `z.strictObject`s), from a body or a query.
fn selection(
    fields: Option<&serde_json::Map<String, Value>>,
    place: &str,
) -> Result<String, ApiError> {
    let invalid = || ApiError::Validation(format!("[{place}] Invalid input"));
    let fields = fields.ok_or_else(invalid)?;
    if fields
        .keys()
        .any(|k| !["accountId", "useAccountCookie", "userId"].contains(&k.as_str()))
    {
        return Err(invalid());
    }
    if !matches!(fields.get("userId"), None | Some(Value::String(_))) {
        return Err(invalid());
    }
    match (fields.get("accountId"), fields.get("useAccountCookie")) {
        (Some(Value::String(id)), None) => Ok(id.clone()),
        // The other form of the union: valid, but without `storeAccountCookie` there is no
        // account cookie, so no account matches (an empty row id) and the answer is
        // ACCOUNT_NOT_FOUND, as Better Auth's.
        (None, Some(Value::Bool(true))) => Ok(String::new()),
        _ => Err(invalid()),
    }
}

/// The signed-in user's account with this row id, and its configured provider.
async fn resolve(ctx: &mut Ctx<'_>, account_id: &str) -> Result<Account, ApiError> {
    let current = session::require(ctx, Read::AUTHORITATIVE).await?;
    accounts::list_for_user(ctx.sql, &current.user.id)
        .await?
        .into_iter()
        .find(|a| a.id == account_id)
        .ok_or(ApiError::ACCOUNT_NOT_FOUND)
}

fn provider_for<'a>(ctx: &Ctx<'a>, account: &Account) -> Result<&'a Provider, ApiError> {
    let social: &'a crate::social::Social = ctx.social;
    social.find(&account.provider_id).ok_or_else(|| {
        ApiError::CodedText(
            http::StatusCode::BAD_REQUEST,
            "PROVIDER_NOT_SUPPORTED",
            format!("Provider {} is not supported.", account.provider_id),
        )
    })
}

/// Refreshes through the provider and stores the new tokens (scope unchanged, as Better Auth).
async fn refresh_and_store(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    account: &Account,
    refresh_token: &str,
) -> Result<Tokens, String> {
    let endpoints = oauth2::endpoints(ctx.http, &ctx.social.cache, provider, ctx.now).await?;
    let tokens = oauth2::refresh(ctx.http, provider, &endpoints, refresh_token, ctx.now).await?;
    let updated = Account {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        id_token: tokens.id_token.clone(),
        access_token_expires_at: tokens.access_token_expires_at,
        refresh_token_expires_at: tokens.refresh_token_expires_at,
        scope: None,
        updated_at: ctx.now,
        ..account.clone()
    };
    ctx.sql
        .query(updated.update_tokens())
        .await
        .map_err(|e| e.to_string())?;
    Ok(tokens)
}

/// Better Auth's `getValidAccessToken`: the stored access token, refreshed first when it
/// expires within 5 seconds and a refresh token is stored.
async fn valid_access_token(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    account: &Account,
) -> Result<AccessToken, ApiError> {
    let failed = || {
        ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "FAILED_TO_GET_ACCESS_TOKEN",
            "Failed to get a valid access token",
        )
    };
    let expired = account
        .access_token_expires_at
        .is_some_and(|at| at - ctx.now < 5_000);
    let mut out = AccessToken {
        access_token: account.access_token.clone().unwrap_or_default(),
        access_token_expires_at: account.access_token_expires_at,
        scopes: scopes(account.scope.as_deref()),
        id_token: account.id_token.clone(),
    };
    if let (true, Some(refresh_token)) = (expired, account.refresh_token.as_deref()) {
        let tokens = refresh_and_store(ctx, provider, account, refresh_token)
            .await
            .map_err(|e| {
                (ctx.log)(&format!("{}: refresh failed: {e}", provider.id));
                failed()
            })?;
        out.access_token = tokens.access_token.unwrap_or_default();
        out.access_token_expires_at = tokens
            .access_token_expires_at
            .or(out.access_token_expires_at);
        out.id_token = tokens.id_token.or(out.id_token);
    }
    Ok(out)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessToken {
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_iso")]
    access_token_expires_at: Option<Millis>,
    scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

fn opt_iso<S: serde::Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_str(&to_iso(*ms)),
        None => s.serialize_none(),
    }
}

/// `POST /get-access-token {accountId}`.
pub async fn get_access_token(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let account_id = selection(body.as_ref().and_then(Value::as_object), "body")?;
    let account = resolve(ctx, &account_id).await?;
    let provider = provider_for(ctx, &account)?;
    let tokens = valid_access_token(ctx, provider, &account).await?;
    json(&tokens)
}

/// `POST /refresh-token {accountId}`: refreshes now, whatever the expiry.
pub async fn refresh_token(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let account_id = selection(body.as_ref().and_then(Value::as_object), "body")?;
    let account = resolve(ctx, &account_id).await?;
    let provider = provider_for(ctx, &account)?;
    let Some(refresh_token) = account.refresh_token.clone() else {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "REFRESH_TOKEN_NOT_FOUND",
            "Refresh token not found",
        ));
    };
    let tokens = refresh_and_store(ctx, provider, &account, &refresh_token)
        .await
        .map_err(|e| {
            (ctx.log)(&format!("{}: refresh failed: {e}", provider.id));
            ApiError::Coded(
                http::StatusCode::BAD_REQUEST,
                "FAILED_TO_REFRESH_ACCESS_TOKEN",
                "Failed to refresh access token",
            )
        })?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Refreshed {
        access_token: Option<String>,
        refresh_token: String,
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_iso")]
        access_token_expires_at: Option<Millis>,
        #[serde(serialize_with = "opt_iso")]
        refresh_token_expires_at: Option<Millis>,
        scope: Option<String>,
        id_token: Option<String>,
        provider_id: String,
        account_id: String,
    }
    json(&Refreshed {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token.unwrap_or(refresh_token),
        access_token_expires_at: tokens.access_token_expires_at,
        refresh_token_expires_at: tokens
            .refresh_token_expires_at
            .or(account.refresh_token_expires_at),
        scope: account.scope.clone(),
        id_token: tokens.id_token.or(account.id_token.clone()),
        provider_id: account.provider_id.clone(),
        account_id: account.id.clone(),
    })
}

/// `GET /account-info?accountId=`: the provider's current profile of the account.
pub async fn account_info(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let query: serde_json::Map<String, Value> = ctx
        .query
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let account_id = selection(Some(&query), "query")?;
    let account = resolve(ctx, &account_id).await?;
    let provider = ctx
        .social
        .find(&account.provider_id)
        .ok_or(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "PROVIDER_NOT_CONFIGURED",
            "Account is not associated with a configured social provider.",
        ))?;
    let tokens = valid_access_token(ctx, provider, &account).await?;
    if tokens.access_token.is_empty() {
        return Err(ApiError::Coded(
            http::StatusCode::BAD_REQUEST,
            "ACCESS_TOKEN_NOT_FOUND",
            "Access token not found",
        ));
    }
    let endpoints = oauth2::endpoints(ctx.http, &ctx.social.cache, provider, ctx.now)
        .await
        .map_err(|_| ApiError::FAILED_TO_GET_USER_INFO)?;
    let as_tokens = Tokens {
        access_token: Some(tokens.access_token),
        id_token: tokens.id_token,
        ..Tokens::default()
    };
    let (user, data) = oauth2::user_info(ctx.http, provider, &endpoints, &as_tokens, None)
        .await
        .map_err(|e| {
            (ctx.log)(&format!("{}: user info failed: {e}", provider.id));
            ApiError::FAILED_TO_GET_USER_INFO
        })?;
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct InfoUser {
        name: String,
        email: Option<String>,
        image: Option<String>,
        email_verified: bool,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct InfoAccount<'a> {
        id: &'a str,
        provider_id: &'a str,
        account_id: &'a str,
    }
    #[derive(Serialize)]
    struct Info<'a> {
        user: InfoUser,
        data: Value,
        account: InfoAccount<'a>,
    }
    json(&Info {
        user: InfoUser {
            name: user.name,
            email: user.email,
            image: user.image,
            email_verified: user.email_verified,
        },
        data,
        account: InfoAccount {
            id: &account.id,
            provider_id: &account.provider_id,
            account_id: &account.account_id,
        },
    })
}
