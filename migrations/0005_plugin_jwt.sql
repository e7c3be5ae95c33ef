-- The jwt plugin's "jwks" table, as better-auth 1.7.25's migration creates it on SQLite
-- ("publicKey" JWK JSON, "privateKey" the JWK JSON encrypted with Better Auth's
-- XChaCha20-Poly1305, JSON-quoted). Applied by wrangler with every file here.
CREATE TABLE IF NOT EXISTS "jwks" ("id" text not null primary key, "publicKey" text not null, "privateKey" text not null, "createdAt" date not null, "expiresAt" date, "alg" text, "crv" text);
