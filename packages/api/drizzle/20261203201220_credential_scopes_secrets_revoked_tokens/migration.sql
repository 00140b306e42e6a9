CREATE TABLE "credential_secrets" (
	"id" text PRIMARY KEY,
	"credential_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "revoked_tokens" (
	"jti" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "scopes" text[] DEFAULT array['patients:read','patients:write','providers:read','bookings:read','bookings:write']::text[] NOT NULL;--> statement-breakpoint
-- Hand-written (see drizzle-manual/credential-secrets-backfill.sql): each existing credential's
-- secret becomes its first row in credential_secrets before the column goes.
INSERT INTO "credential_secrets" ("id", "credential_id", "secret_hash", "created_at", "last_used_at")
SELECT 'csec_' || substr("id", 6), "id", "secret_hash", "created_at", "last_used_at" FROM "credentials";--> statement-breakpoint
ALTER TABLE "credentials" DROP COLUMN "secret_hash";--> statement-breakpoint
CREATE INDEX "credential_secrets_credential_idx" ON "credential_secrets" ("credential_id");--> statement-breakpoint
CREATE INDEX "revoked_tokens_expires_idx" ON "revoked_tokens" ("expires_at");--> statement-breakpoint
ALTER TABLE "credential_secrets" ADD CONSTRAINT "credential_secrets_credential_id_credentials_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id");--> statement-breakpoint
ALTER TABLE "revoked_tokens" ADD CONSTRAINT "revoked_tokens_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");