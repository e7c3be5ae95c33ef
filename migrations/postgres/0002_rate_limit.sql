-- Better Auth's `rateLimit` table as better-auth 1.7.25's migration creates it on PostgreSQL
-- (lastRequest = Unix milliseconds, bigint). See ../0002_rate_limit.sql.
CREATE TABLE IF NOT EXISTS "rateLimit" ("id" text not null primary key, "key" text not null unique, "count" integer not null, "lastRequest" bigint not null);
