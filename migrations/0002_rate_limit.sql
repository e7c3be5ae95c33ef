-- Better Auth's `rateLimit` table, exactly as better-auth 1.7.25's migration creates it on SQLite
-- when `rateLimit.storage` is "database" (key = "<ip>|<path>", lastRequest = Unix milliseconds),
-- so Portcullis and Better Auth can share counters. Used only with rateLimit.storage "database";
-- created always (empty otherwise) so the migration list is the same for every configuration.
CREATE TABLE IF NOT EXISTS "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null);
