-- The username plugin's columns on "user", as better-auth 1.7.25's migration makes them on
-- PostgreSQL when it creates "user" with the plugin on: "username" text with a UNIQUE constraint
-- ("user_username_key"; NULLs allowed), "displayUsername" text. IF NOT EXISTS: on a database Better
-- Auth made (either way: when it adds the plugin to an existing "user" it writes a unique index,
-- "user_username_uidx", instead) the columns are left as they are. See ../0003_plugin_username.sql.
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS "username" text unique;
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS "displayUsername" text;
