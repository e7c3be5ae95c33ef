-- The two-factor plugin's schema, as better-auth 1.7.25's migration makes it on PostgreSQL when it
-- creates "user" with the plugin on: "twoFactorEnabled" boolean (no default; Better Auth's
-- migration of an existing "user" adds `default false`, which this leaves as it is) and the
-- "twoFactor" table ("verified" boolean, "lockedUntil" timestamptz) with its two indexes.
-- See ../0004_plugin_two_factor.sql.
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS "twoFactorEnabled" boolean;
CREATE TABLE IF NOT EXISTS "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" boolean, "failedVerificationCount" integer, "lockedUntil" timestamptz);
CREATE INDEX IF NOT EXISTS "twoFactor_secret_idx" on "twoFactor" ("secret");
CREATE INDEX IF NOT EXISTS "twoFactor_userId_idx" on "twoFactor" ("userId");
