//! `POST /sign-in/social` and `GET|POST /callback/:provider`, as Better Auth 1.7.25's
//! `signInSocial` and `callbackOAuth` (WIRE.md §3.15, §3.16): the redirect flow with state and
//! PKCE, the code exchange, user and account creation or linking, and every callback failure as a
//! 302 to the flow's error URL with Better Auth's error code.
//!
//! Round trips: sign-in one write (the state row). Callback: read and consume the state (2), find
//! the account or the user (1 or 2), one write batch (user/account/session), plus the provider's
//! token and user-info requests.

use serde_json::{Map, Value};

use super::{api_base, append_query, json, Reply};
use crate::context::Ctx;
use crate::crypto::generate_id;
use crate::error::ApiError;
use crate::session::{new_session, set_session_cookie};
use crate::social::oauth2::{self, AuthorizationRequest};
use crate::social::state::{self, Link, StateData};
use crate::social::{Provider, Tokens, UserInfo};
use crate::store::accounts::{self, Account};
use crate::store::sessions::{self, Session};
use crate::store::users::{self, User};
use crate::store::Statement;

/// Reads the optional fields of a social sign-in or link body, worded as zod words failures.
pub(crate) struct SocialBody<'a> {
    pub provider: &'a str,
    pub callback_url: Option<&'a str>,
    pub error_callback_url: Option<&'a str>,
    pub new_user_callback_url: Option<&'a str>,
    pub disable_redirect: bool,
    pub scopes: Vec<String>,
    pub request_sign_up: Option<bool>,
    pub login_hint: Option<&'a str>,
    pub additional_params: Vec<(String, String)>,
    pub additional_data: Map<String, Value>,
    pub id_token: Option<&'a Map<String, Value>>,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'a> SocialBody<'a> {
    pub(crate) fn parse(body: &'a Option<Value>) -> Result<SocialBody<'a>, ApiError> {
        let mut v = crate::http::body::Validator::new(body);
        let provider = v.string("provider");
        let callback_url = v.opt_string("callbackURL");
        let error_callback_url = v.opt_string("errorCallbackURL");
        let new_user_callback_url = v.opt_string("newUserCallbackURL");
        let disable_redirect = v.opt_bool("disableRedirect");
        let request_sign_up = v.opt_bool("requestSignUp");
        let login_hint = v.opt_string("loginHint");
        v.finish()?;
        let map = body.as_ref().and_then(Value::as_object);
        let field = |name: &str| map.and_then(|m| m.get(name));
        let issue = |name: &str, expected: &str, got: &Value| {
            ApiError::Validation(format!(
                "[body.{name}] Invalid input: expected {expected}, received {}",
                kind(got)
            ))
        };
        let mut scopes = Vec::new();
        if let Some(value) = field("scopes") {
            let list = value
                .as_array()
                .ok_or_else(|| issue("scopes", "array", value))?;
            for item in list {
                scopes.push(
                    item.as_str()
                        .ok_or_else(|| issue("scopes", "string", item))?
                        .to_owned(),
                );
            }
        }
        let mut additional_params = Vec::new();
        if let Some(value) = field("additionalParams") {
            let params = value
                .as_object()
                .ok_or_else(|| issue("additionalParams", "record", value))?;
            for (name, item) in params {
                let item = item
                    .as_str()
                    .ok_or_else(|| issue("additionalParams", "string", item))?;
                if oauth2::RESERVED_PARAMS.contains(&name.as_str()) {
                    return Err(ApiError::Validation(format!(
                        "[body.additionalParams] additionalParams cannot include reserved OAuth parameters: {}",
                        oauth2::RESERVED_PARAMS.join(", ")
                    )));
                }
                additional_params.push((name.clone(), item.to_owned()));
            }
        }
        let additional_data = match field("additionalData") {
            None => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(other) => return Err(issue("additionalData", "record", other)),
        };
        let id_token = match field("idToken") {
            None => None,
            Some(Value::Object(map)) => Some(map),
            Some(other) => return Err(issue("idToken", "object", other)),
        };
        Ok(SocialBody {
            provider: provider.unwrap_or_default(),
            callback_url,
            error_callback_url,
            new_user_callback_url,
            disable_redirect: disable_redirect.unwrap_or(false),
            scopes,
            request_sign_up,
            login_hint,
            additional_params,
            additional_data,
            id_token,
        })
    }
}

/// `<baseURL><basePath>/callback/<id>`.
pub(crate) fn redirect_uri(ctx: &Ctx, provider: &Provider) -> String {
    format!("{}/callback/{}", api_base(ctx), provider.id)
}

/// Starts a redirect flow (sign-in, or linking when `link` is set): state row and cookie, then
/// `{url, redirect}` with `Location` unless `disableRedirect`.
pub(crate) async fn start_flow(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    body: &SocialBody<'_>,
    link: Option<Link>,
) -> Result<Reply, ApiError> {
    let endpoints = oauth2::endpoints(ctx.http, &ctx.social.cache, provider, ctx.now)
        .await
        .map_err(|e| ApiError::Internal(format!("provider {}: {e}", provider.id)))?;
    let data = StateData {
        additional: body.additional_data.clone(),
        callback_url: body
            .callback_url
            .filter(|u| !u.is_empty())
            .unwrap_or(&ctx.config.base_url)
            .to_owned(),
        code_verifier: String::new(),
        error_url: body.error_callback_url.map(str::to_owned),
        new_user_url: body.new_user_callback_url.map(str::to_owned),
        link,
        expires_at: 0,
        request_sign_up: body.request_sign_up,
        oauth_state: None,
    };
    let (state, verifier) = state::generate(ctx, data).await?;
    let redirect_uri = redirect_uri(ctx, provider);
    let url = oauth2::authorization_url(
        provider,
        &endpoints,
        &AuthorizationRequest {
            state: &state,
            code_verifier: &verifier,
            redirect_uri: &redirect_uri,
            scopes: &body.scopes,
            login_hint: body.login_hint,
            additional_params: &body.additional_params,
        },
    );
    if !body.disable_redirect {
        ctx.set_header(http::header::LOCATION, url.clone());
    }
    #[derive(serde::Serialize)]
    struct Started<'a> {
        url: &'a str,
        redirect: bool,
    }
    json(&Started {
        url: &url,
        redirect: !body.disable_redirect,
    })
}

/// `POST /sign-in/social`.
pub async fn sign_in_social(ctx: &mut Ctx<'_>, body: &Option<Value>) -> Result<Reply, ApiError> {
    let body = SocialBody::parse(body)?;
    let Some(provider) = ctx.social.find(body.provider) else {
        return Err(ApiError::PROVIDER_NOT_FOUND);
    };
    if let Some(id_token) = body.id_token {
        return super::id_token::sign_in(ctx, provider, &body, id_token).await;
    }
    start_flow(ctx, provider, &body, None).await
}

/// The callback's parameters (Better Auth's schema order, which the form_post redirect keeps).
const CALLBACK_PARAMS: [&str; 7] = [
    "code",
    "error",
    "device_id",
    "error_description",
    "state",
    "user",
    "iss",
];

/// `POST /callback/:provider` (Apple's `form_post`): a 302 to the GET callback with the body's
/// parameters (the query's win) in the query.
pub fn callback_post(ctx: &Ctx, provider_id: &str, body: &Option<Value>) -> Reply {
    let from_body = |name: &str| {
        body.as_ref()
            .and_then(|b| b.get(name))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for name in CALLBACK_PARAMS {
        let value = ctx
            .query_param(name)
            .map(str::to_owned)
            .or_else(|| from_body(name));
        if let Some(value) = value {
            query.append_pair(name, &value);
        }
    }
    Reply::Redirect(format!(
        "{}/callback/{provider_id}?{}",
        api_base(ctx),
        query.finish()
    ))
}

/// A 302 to `url` with `error` (and `error_description`) in its query.
fn error_redirect(url: &str, error: &str, description: Option<&str>) -> Reply {
    let mut params = vec![("error", error)];
    params.extend(description.map(|d| ("error_description", d)));
    Reply::Redirect(append_query(url, &params))
}

/// `GET /callback/:provider`: every outcome is a 302.
pub async fn callback(ctx: &mut Ctx<'_>, provider_id: &str) -> Result<Reply, ApiError> {
    let default_error_url = format!("{}/error", api_base(ctx));
    let param = |name: &str| ctx.query_param(name).map(str::to_owned);
    let (code, error, error_description, state_param, user, iss) = (
        param("code"),
        param("error"),
        param("error_description"),
        param("state"),
        param("user"),
        param("iss"),
    );
    let data = match state::parse(ctx, state_param.as_deref()).await {
        Ok(data) => data,
        Err(e) => {
            let url = e
                .error_url
                .filter(|u| !u.is_empty())
                .unwrap_or(default_error_url);
            return Ok(error_redirect(&url, e.code, None));
        }
    };
    // An empty errorURL or newUserURL counts as absent (Better Auth's `||`).
    let error_url = data
        .error_url
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or(default_error_url);
    let fail = |code: &str| Ok(error_redirect(&error_url, code, None));
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        return Ok(error_redirect(
            &error_url,
            &error,
            error_description.as_deref().filter(|d| !d.is_empty()),
        ));
    }
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return fail("no_code");
    };
    let Some(provider) = ctx.social.find(provider_id) else {
        return fail("oauth_provider_not_found");
    };
    let Ok(endpoints) = oauth2::endpoints(ctx.http, &ctx.social.cache, provider, ctx.now).await
    else {
        return fail("invalid_code");
    };
    // RFC 9207: checked where the issuer is known for sure (configured, or discovered), as
    // Better Auth checks only providers that declare one.
    let issuer_known = provider.options.issuer.is_some() || provider.spec.id == "oidc";
    if let Some(iss) = iss.filter(|i| !i.is_empty() && issuer_known) {
        if !endpoints.issuers.is_empty() && !endpoints.issuers.contains(&iss) {
            return fail("issuer_mismatch");
        }
    }
    let redirect_uri = redirect_uri(ctx, provider);
    let tokens = match oauth2::exchange_code(
        ctx.http,
        provider,
        &endpoints,
        &code,
        &data.code_verifier,
        &redirect_uri,
        ctx.now,
    )
    .await
    {
        Ok(tokens) => tokens,
        Err(e) => {
            (ctx.log)(&format!("{provider_id}: code exchange failed: {e}"));
            return fail("invalid_code");
        }
    };
    let apple_user = user.and_then(|u| serde_json::from_slice::<Value>(u.as_bytes()).ok());
    let info = match oauth2::user_info(ctx.http, provider, &endpoints, &tokens, apple_user.as_ref())
        .await
    {
        Ok((info, _profile)) => info,
        Err(e) => {
            (ctx.log)(&format!("{provider_id}: user info failed: {e}"));
            return fail("unable_to_get_user_info");
        }
    };
    if let Some(link) = &data.link {
        return Ok(
            match link_account(ctx, provider, link, &info, &tokens).await? {
                Ok(()) => Reply::Redirect(data.callback_url),
                Err(code) => error_redirect(&error_url, code, None),
            },
        );
    }
    if info.email.is_none() {
        (ctx.log)(&format!("Provider \"{provider_id}\" did not return an email. Either request the provider's email scope, or create a placeholder via `mapProfileToUser`."));
        return fail("email_not_found");
    }
    let options = &provider.options;
    let disable_sign_up = (options.disable_implicit_sign_up && data.request_sign_up != Some(true))
        || options.disable_sign_up;
    let outcome = sign_in_user(ctx, provider, &info, &tokens, disable_sign_up).await?;
    let (session, user, is_register) = match outcome {
        Ok(done) => done,
        Err(reason) => return fail(&reason.replace(' ', "_")),
    };
    set_session_cookie(ctx, &session, &user, None);
    let to = if is_register {
        data.new_user_url
            .filter(|u| !u.is_empty())
            .unwrap_or(data.callback_url)
    } else {
        data.callback_url
    };
    Ok(Reply::Redirect(to))
}

/// The account row for a provider's answer (tokens stored as Better Auth stores them: plain).
fn account_from(
    ctx: &Ctx,
    provider: &Provider,
    user_id: &str,
    info: &UserInfo,
    tokens: &Tokens,
) -> Account {
    Account {
        id: generate_id(),
        account_id: info.id.clone(),
        provider_id: provider.id.clone(),
        user_id: user_id.to_owned(),
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone(),
        id_token: tokens.id_token.clone(),
        access_token_expires_at: tokens.access_token_expires_at,
        refresh_token_expires_at: tokens.refresh_token_expires_at,
        scope: (!tokens.scopes.is_empty()).then(|| tokens.scopes.join(",")),
        created_at: ctx.now,
        updated_at: ctx.now,
    }
}

/// Better Auth's `handleOAuthUserInfo`: signs in the account's owner, links the provider to the
/// user with the same e-mail when the linking rules allow it, or creates the user. `Err` is
/// Better Auth's reason text (`account not linked`), which the callback turns into a code.
pub(crate) async fn sign_in_user(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    info: &UserInfo,
    tokens: &Tokens,
    disable_sign_up: bool,
) -> Result<Result<(Session, User, bool), &'static str>, ApiError> {
    let email = info.email.as_deref().unwrap_or_default().to_lowercase();
    let linking = &ctx.config.account.account_linking;
    let mut statements: Vec<Statement> = Vec::new();
    let owned =
        accounts::find_by_key_with_user(ctx.sql, ctx.user_fields, &provider.id, &info.id).await?;
    let (mut user, is_register) = match owned {
        Some((_, None)) => {
            (ctx.log)("OAuth account references a missing user. Repair the account before retrying authentication.");
            return Ok(Err("unable to link account"));
        }
        Some((account, Some(user))) => {
            if ctx.config.account.update_account_on_sign_in {
                let fresh = Account {
                    id: account.id.clone(),
                    scope: None,
                    updated_at: ctx.now,
                    ..account_from(ctx, provider, &user.id, info, tokens)
                };
                statements.push(fresh.update_tokens());
            }
            (user, false)
        }
        None => match users::find_by_email(ctx.sql, ctx.user_fields, &email).await? {
            Some(user) => {
                let trusted = linking.trusted_providers.contains(&provider.id);
                if (!trusted && !info.email_verified)
                    || (linking.require_local_email_verified && !user.email_verified)
                    || !linking.enabled
                    || linking.disable_implicit_linking
                {
                    return Ok(Err("account not linked"));
                }
                statements.push(account_from(ctx, provider, &user.id, info, tokens).insert());
                (user, false)
            }
            None => {
                if disable_sign_up {
                    return Ok(Err("signup disabled"));
                }
                let user = User {
                    name: info.name.clone(),
                    email: email.clone(),
                    email_verified: info.email_verified,
                    image: info.image.clone(),
                    created_at: ctx.now,
                    updated_at: ctx.now,
                    fields: crate::plugins::new_user_fields(ctx.user_fields, &None)?,
                    id: generate_id(),
                };
                statements.push(user.insert());
                statements.push(account_from(ctx, provider, &user.id, info, tokens).insert());
                (user, true)
            }
        },
    };
    let mut changed = false;
    if !is_register {
        if info.email_verified && !user.email_verified && email == user.email {
            user.email_verified = true;
            changed = true;
        }
        if provider.options.override_user_info_on_sign_in {
            user.email_verified = if email == user.email {
                user.email_verified || info.email_verified
            } else {
                info.email_verified
            };
            user.name = info.name.clone();
            user.image = info.image.clone();
            user.email = email;
            changed = true;
        }
        if changed {
            user.updated_at = ctx.now;
            statements.push(users::update(&user));
        }
    }
    let session = new_session(ctx, &user.id, false);
    statements.push(session.insert());
    if let Err(error) = ctx.sql.batch(statements).await {
        if error.unique_violation {
            return Ok(Err("unable to create user"));
        }
        return Err(error.into());
    }
    if changed {
        // The user's other sessions read it again from the database (secondary storage).
        crate::session::user_changed(ctx, &user.id);
    }
    Ok(Ok((session, user, is_register)))
}

/// Better Auth's `linkOAuthAccount` for a `/link-social` redirect flow. `Err` is the callback's
/// error code.
async fn link_account(
    ctx: &mut Ctx<'_>,
    provider: &Provider,
    link: &Link,
    info: &UserInfo,
    tokens: &Tokens,
) -> Result<Result<(), &'static str>, ApiError> {
    if !link_session_live(ctx, link).await? {
        return Ok(Err("unable_to_link_account"));
    }
    let linking = &ctx.config.account.account_linking;
    let trusted = linking.trusted_providers.contains(&provider.id);
    if (!trusted && !info.email_verified) || !linking.enabled {
        return Ok(Err("unable_to_link_account"));
    }
    let same_email = info
        .email
        .as_deref()
        .is_some_and(|e| e.to_lowercase() == link.email.to_lowercase());
    if !same_email && !linking.allow_different_emails {
        return Ok(Err("email_does_not_match"));
    }
    let existing =
        accounts::find_by_key_with_user(ctx.sql, ctx.user_fields, &provider.id, &info.id).await?;
    let statement = match existing {
        Some((account, _)) if account.user_id != link.user_id => {
            return Ok(Err("account_already_linked_to_different_user"));
        }
        Some((account, _)) => {
            let mut scopes: Vec<String> = account
                .scope
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            for scope in &tokens.scopes {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
            Account {
                id: account.id.clone(),
                scope: (!scopes.is_empty()).then(|| scopes.join(",")),
                updated_at: ctx.now,
                ..account_from(ctx, provider, &link.user_id, info, tokens)
            }
            .update_tokens()
        }
        None => account_from(ctx, provider, &link.user_id, info, tokens).insert(),
    };
    let mut statements = vec![statement];
    if linking.update_user_info_on_link {
        statements.push(update_user_info(&link.user_id, info, ctx.now));
    }
    ctx.sql.batch(statements).await?;
    if linking.update_user_info_on_link {
        crate::session::user_changed(ctx, &link.user_id);
    }
    Ok(Ok(()))
}

/// Better Auth's `isLinkSessionLive`: the session that started the link (its token sealed in the
/// state) must still exist in the database, belong to the link's user and not have expired, so
/// signing out (or revoking that session) between `/link-social` and the callback cancels the
/// link. State without the token (an older Better Auth's) is not checked, as there. One read.
async fn link_session_live(ctx: &Ctx<'_>, link: &Link) -> Result<bool, ApiError> {
    let Some(sealed) = &link.encrypted_session_token else {
        return Ok(true);
    };
    let key = crate::crypto::symmetric::purpose_key(ctx.secret, state::LINK_SESSION_PURPOSE);
    let Some(token) = crate::crypto::symmetric::decrypt(&key, sealed) else {
        return Ok(false);
    };
    let found = sessions::find_with_user(ctx.sql, ctx.user_fields, &token).await?;
    Ok(found.is_some_and(|(session, _)| {
        session.user_id == link.user_id && session.expires_at > ctx.now
    }))
}

/// `account.accountLinking.updateUserInfoOnLink`: name and image from the provider.
pub(crate) fn update_user_info(
    user_id: &str,
    info: &UserInfo,
    now: crate::time::Millis,
) -> Statement {
    Statement::new(
        r#"UPDATE "user" SET "name" = ?, "image" = COALESCE(?, "image"), "updatedAt" = ? WHERE "id" = ?"#,
        vec![
            info.name.clone().into(),
            info.image.clone().into(),
            crate::time::to_iso(now).into(),
            user_id.into(),
        ],
    )
}
