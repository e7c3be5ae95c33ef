//! `SignInCount`: a small plugin written against Portcullis' public plugin API, the way the
//! built-in plugins are. It shows each thing a plugin can contribute:
//! - a migration of its own (a `signInCount` column on `user`),
//! - a user field (sent in every user object, between `updatedAt` and `id`),
//! - an after-hook on the sign-in endpoints (counts successful sign-ins),
//! - an endpoint (`GET /sign-in-count`, signed-in users only),
//! - a rate-limit rule for that endpoint.
//!
//! Register it with `Auth::new(config, secret, host)?.with_plugin(SignInCount)` and apply
//! `auth.migrations(dialect)` (on D1, copy the migration into `migrations/`).

use portcullis::context::Ctx;
use portcullis::http::rate_limit::Rule;
use portcullis::plugins::{async_trait, Endpoint, Migration, Plugin};
use portcullis::routes::{json, Reply};
use portcullis::session::{self, Read};
use portcullis::store::users::{FieldKind, UserField};
use portcullis::{ApiError, Statement};
use serde_json::Value;

/// Counts each user's sign-ins.
pub struct SignInCount;

#[async_trait(?Send)]
impl Plugin for SignInCount {
    fn id(&self) -> &'static str {
        "sign-in-count"
    }

    fn migrations(&self) -> Vec<Migration> {
        vec![Migration::sqlite(
            "0100_sign_in_count.sql",
            r#"ALTER TABLE "user" ADD COLUMN "signInCount" integer;"#,
        )
        .postgres(r#"ALTER TABLE "user" ADD COLUMN IF NOT EXISTS "signInCount" integer;"#)]
    }

    fn user_fields(&self) -> Vec<UserField> {
        vec![UserField {
            name: "signInCount",
            kind: FieldKind::Number,
            default: Some(0.into()),
            input: false,
        }]
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::get("/sign-in-count")]
    }

    async fn call(
        &self,
        ctx: &mut Ctx<'_>,
        _path: &str,
        _body: &Option<Value>,
    ) -> Result<Reply, ApiError> {
        // From the database: the cookie cache may hold a count from before the last sign-in.
        let current = session::require(ctx, Read::AUTHORITATIVE).await?;
        let count = current.user.field("signInCount").cloned();
        json(&serde_json::json!({ "count": count.unwrap_or(0.into()) }))
    }

    fn rate_limit_rules(&self) -> Vec<Rule> {
        vec![Rule {
            matches: |path| path == "/sign-in-count",
            window: 60,
            max: 20,
        }]
    }

    async fn after(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        _body: &Option<Value>,
        outcome: Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        // `new_session` is the session the endpoint issued cookies for.
        let signed_in = match &ctx.new_session {
            Some((_, user)) if path.starts_with("/sign-in/") && outcome.is_ok() => user.id.clone(),
            _ => return outcome,
        };
        ctx.sql
            .query(Statement::new(
                r#"UPDATE "user" SET "signInCount" = COALESCE("signInCount", 0) + 1 WHERE "id" = ?"#,
                vec![signed_in.into()],
            ))
            .await?;
        outcome
    }
}
