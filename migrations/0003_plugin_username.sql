-- The username plugin's columns on "user", as better-auth 1.7.25's migration adds them on SQLite
-- ("username" text unique, "displayUsername" text). SQLite cannot add a UNIQUE column, so the
-- uniqueness is a unique index (NULLs stay allowed, as in Better Auth's column).
-- Applied by wrangler with every file here (the columns exist whether or not the plugin is on);
-- natively, only when the plugin is enabled.
ALTER TABLE "user" ADD COLUMN "username" text;
ALTER TABLE "user" ADD COLUMN "displayUsername" text;
CREATE UNIQUE INDEX IF NOT EXISTS "user_username_uidx" ON "user" ("username");
