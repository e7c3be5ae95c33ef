-- The two-factor plugin's schema, as better-auth 1.7.25's migration creates it on SQLite: the
-- "twoFactorEnabled" column on "user" and the "twoFactor" table ("secret" and "backupCodes" hold
-- Better Auth's XChaCha20-Poly1305 hex). IF NOT EXISTS where SQLite allows it; the native runner
-- skips a column Better Auth already added. Applied by wrangler with every file here.
ALTER TABLE "user" ADD COLUMN "twoFactorEnabled" integer;
CREATE TABLE IF NOT EXISTS "twoFactor" ("id" text not null primary key, "secret" text not null, "backupCodes" text not null, "userId" text not null references "user" ("id") on delete cascade, "verified" integer, "failedVerificationCount" integer, "lockedUntil" date);
CREATE INDEX IF NOT EXISTS "twoFactor_secret_idx" on "twoFactor" ("secret");
CREATE INDEX IF NOT EXISTS "twoFactor_userId_idx" on "twoFactor" ("userId");
