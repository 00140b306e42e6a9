CREATE TABLE "signing_keys" (
	"id" text PRIMARY KEY,
	"credential_id" text NOT NULL,
	"organization_id" text NOT NULL,
	"sealed_secret" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "signing_nonces" (
	"signing_key_id" text,
	"nonce" text,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "signing_nonces_pkey" PRIMARY KEY("signing_key_id","nonce")
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "require_signed_requests" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "signing_keys_organization_idx" ON "signing_keys" ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "signing_keys_credential_idx" ON "signing_keys" ("credential_id");--> statement-breakpoint
CREATE INDEX "signing_nonces_expires_idx" ON "signing_nonces" ("expires_at");--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_credential_id_credentials_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id");--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");