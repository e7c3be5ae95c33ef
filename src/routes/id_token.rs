//! `idToken` sign-in and linking (`POST /sign-in/social` and `POST /link-social` with
//! `idToken: {token, nonce?, accessToken?, refreshToken?}`): the token a provider's own SDK gave
//! the client is verified against the provider's JWKS ([`crate::social::id_token`]) and used as
//! the profile, with no redirect. Google, Apple and generic OIDC providers support it.

use serde::Serialize;
use serde_json::{Map, Value};

use super::social::{sign_in_user, update_user_info, SocialBody};
use super::{json, Reply};
use crate::context::Ctx;
use crate::crypto::generate_id;
use crate::error::ApiError;
use crate::session::set_session_cookie;
use crate::social::id_token::{self, Verifier};
use crate::social::{oauth2, Provider, Tokens, UserInfo};
use crate::store::accounts::{self, Account};
use crate::store::users::User;

/// The `idToken` object's members.
struct IdToken<'a> {
    token: &'a str,
    nonce: Option<&'a str>,
    access_token: Option<&'a str>,
    refresh_token: Option<&'a str>,
    user: Option<&'a Value>,
}

fn parse(map: &Map<String, Value>) -> Result<IdToken<'_>, ApiError> {
    let text = |name: &str| -> Result<Option<&str>, ApiError> {
        match map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::Validation(format!(
                "[body.idToken.{name}] Invalid input: expected string"
            ))),
        }
    };
    Ok(IdToken {
        token: text("token")?.ok_or_else(|| {
            ApiError::Validation(
                "[body.idToken.token] Invalid input: expected string, received undefined".into(),
            )
        })?,
        nonce: text("nonce")?,
        access_token: text("accessToken")?,
        refresh_token: text("refreshToken")?,
        user: map.get("user"),
    })
}

/// Verifies the token and maps its claims: the user, or Better Auth's error.
async fn verified_user(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    id_token: &IdToken<'_>,
) -> Result<UserInfo, ApiError> {
    if !provider.spec.id_token_sign_in || provider.options.disable_id_token_sign_in {
        return Err(ApiError::ID_TOKEN_NOT_SUPPORTED);
    }
    let endpoints = oauth2::endpoints(ctx.http, &ctx.social.cache, provider, ctx.now)
        .await
        .map_err(|e| {
            (ctx.log)(&format!("{}: {e}", provider.id));
            ApiError::INVALID_TOKEN
        })?;
    let verifier = Verifier {
        http: ctx.http,
        cache: &ctx.social.cache,
        jws: ctx.jws,
        now: ctx.now,
    };
    if let Err(e) = id_token::verify(
        &verifier,
        provider,
        &endpoints,
        id_token.token,
        id_token.nonce,
    )
    .await
    {
        (ctx.log)(&format!("{}: invalid id token: {e}", provider.id));
        return Err(ApiError::INVALID_TOKEN);
    }
    let tokens = Tokens {
        id_token: Some(id_token.token.to_owned()),
        ..Tokens::default()
    };
    // The profile is the verified token's claims, whatever the provider's user-info source.
    let endpoints = crate::social::Endpoints {
        user_info: String::new(),
        ..endpoints
    };
    let (user, _) = oauth2::user_info(ctx.http, provider, &endpoints, &tokens, id_token.user)
        .await
        .map_err(|_| ApiError::FAILED_TO_GET_USER_INFO)?;
    if user.email.is_none() {
        return Err(ApiError::USER_EMAIL_NOT_FOUND);
    }
    Ok(user)
}

/// `POST /sign-in/social` with `idToken`: `{redirect:false, token, user}` and the session
/// cookies.
pub(crate) async fn sign_in(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    body: &SocialBody<'_>,
    map: &Map<String, Value>,
) -> Result<Reply, ApiError> {
    let id_token = parse(map)?;
    let info = verified_user(ctx, provider, &id_token).await?;
    let tokens = Tokens {
        id_token: Some(id_token.token.to_owned()),
        access_token: id_token.access_token.map(str::to_owned),
        ..Tokens::default()
    };
    let options = &provider.options;
    let disable_sign_up = (options.disable_implicit_sign_up && body.request_sign_up != Some(true))
        || options.disable_sign_up;
    let (session, user, _) =
        match sign_in_user(ctx, provider, &info, &tokens, disable_sign_up).await? {
            Ok(done) => done,
            Err(reason) => {
                return Err(ApiError::CodedText(
                    http::StatusCode::UNAUTHORIZED,
                    "OAUTH_LINK_ERROR",
                    reason.to_owned(),
                ))
            }
        };
    set_session_cookie(ctx, &session, &user, None);
    #[derive(Serialize)]
    struct SignedIn<'a> {
        redirect: bool,
        token: &'a str,
        user: &'a User,
    }
    json(&SignedIn {
        redirect: false,
        token: &session.token,
        user: &user,
    })
}

/// `POST /link-social` with `idToken`: links at once, `{url:"", status:true, redirect:false}`.
pub(crate) async fn link(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    map: &Map<String, Value>,
    user: &User,
) -> Result<Reply, ApiError> {
    let id_token = parse(map)?;
    let info = verified_user(ctx, provider, &id_token).await?;
    let linking = &ctx.config.account.account_linking;
    let existing =
        accounts::find_by_key_with_user(ctx.sql, ctx.user_fields, &provider.id, &info.id).await?;
    let account = Account {
        id: generate_id(),
        account_id: info.id.clone(),
        provider_id: provider.id.clone(),
        user_id: user.id.clone(),
        access_token: id_token.access_token.map(str::to_owned),
        refresh_token: id_token.refresh_token.map(str::to_owned),
        id_token: Some(id_token.token.to_owned()),
        access_token_expires_at: None,
        refresh_token_expires_at: None,
        scope: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let statement = match existing {
        Some((found, _)) if found.user_id == user.id => Account {
            id: found.id,
            ..account
        }
        .update_tokens(),
        Some(_) => return Err(ApiError::SOCIAL_ACCOUNT_ALREADY_LINKED),
        None => {
            let trusted = linking.trusted_providers.contains(&provider.id);
            if (!trusted && !info.email_verified) || !linking.enabled {
                return Err(ApiError::Coded(
                    http::StatusCode::UNAUTHORIZED,
                    "LINKING_NOT_ALLOWED",
                    "Account not linked - linking not allowed",
                ));
            }
            let same_email = info
                .email
                .as_deref()
                .is_some_and(|e| e.to_lowercase() == user.email.to_lowercase());
            if !same_email && !linking.allow_different_emails {
                return Err(ApiError::Coded(
                    http::StatusCode::UNAUTHORIZED,
                    "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED",
                    "Account not linked - different emails not allowed",
                ));
            }
            account.insert()
        }
    };
    let mut statements = vec![statement];
    if linking.update_user_info_on_link {
        statements.push(update_user_info(&user.id, &info, ctx.now));
    }
    ctx.sql.batch(statements).await?;
    if linking.update_user_info_on_link {
        crate::session::user_changed(ctx, &user.id);
    }
    Ok(Reply::Json(
        r#"{"url":"","status":true,"redirect":false}"#.to_owned(),
    ))
}
