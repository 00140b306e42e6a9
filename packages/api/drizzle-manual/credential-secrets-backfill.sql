-- Hand-written data migration for the move of client secrets from credentials.secret_hash to
-- the credential_secrets table. It must run after credential_secrets is created and before
-- credentials.secret_hash is dropped, in the same migration, or existing client secrets stop
-- working. The credential id's random part is reused for the secret id, so ids stay unique.
INSERT INTO "credential_secrets" ("id", "credential_id", "secret_hash", "created_at", "last_used_at")
SELECT 'csec_' || substr("id", 6), "id", "secret_hash", "created_at", "last_used_at" FROM "credentials";
