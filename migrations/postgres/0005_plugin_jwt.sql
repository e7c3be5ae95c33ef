-- The jwt plugin's "jwks" table, as better-auth 1.7.25's migration creates it on PostgreSQL
-- ("createdAt"/"expiresAt" timestamptz, no default). See ../0005_plugin_jwt.sql.
CREATE TABLE IF NOT EXISTS "jwks" ("id" text not null primary key, "publicKey" text not null, "privateKey" text not null, "createdAt" timestamptz not null, "expiresAt" timestamptz, "alg" text, "crv" text);
