CREATE TABLE "audit_events" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"actor_type" text NOT NULL,
	"credential_id" text,
	"token_id" text,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_ids" jsonb NOT NULL,
	"patient_id" text,
	"result_count" integer,
	"outcome" text NOT NULL,
	"problem_code" text,
	"request_id" text,
	"client_ip" text,
	"sequence" bigint GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_sequence_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
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
CREATE TABLE "devices" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"patient_id" text NOT NULL,
	"token" text NOT NULL,
	"token_index" text NOT NULL,
	"platform" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"event_id" text NOT NULL,
	"device_id" text NOT NULL,
	"state" text NOT NULL,
	"detail" text,
	"attempts" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
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
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"event_id" text NOT NULL,
	"endpoint_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"status" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"attempted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"event_types" jsonb,
	"disabled_reason" text,
	"disabled_at" timestamp with time zone,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bookings" ADD COLUMN "request_key" text;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "scopes" text[] DEFAULT array['patients:read','patients:write','providers:read','bookings:read','bookings:write']::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "require_signed_requests" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "patients" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
-- Hand-written (see drizzle-manual/credential-secrets-backfill.sql): each existing credential's
-- secret becomes its first row in credential_secrets before the column goes.
INSERT INTO "credential_secrets" ("id", "credential_id", "secret_hash", "created_at", "last_used_at")
SELECT 'csec_' || substr("id", 6), "id", "secret_hash", "created_at", "last_used_at" FROM "credentials";--> statement-breakpoint
ALTER TABLE "credentials" DROP COLUMN "secret_hash";--> statement-breakpoint
CREATE INDEX "audit_events_organization_sequence_idx" ON "audit_events" ("organization_id","sequence");--> statement-breakpoint
CREATE INDEX "audit_events_organization_patient_idx" ON "audit_events" ("organization_id","patient_id");--> statement-breakpoint
CREATE UNIQUE INDEX "bookings_organization_request_key" ON "bookings" ("organization_id","request_key");--> statement-breakpoint
CREATE INDEX "credential_secrets_credential_idx" ON "credential_secrets" ("credential_id");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_patient_token_key" ON "devices" ("patient_id","token_index");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_event_device_key" ON "notifications" ("event_id","device_id");--> statement-breakpoint
CREATE INDEX "revoked_tokens_expires_idx" ON "revoked_tokens" ("expires_at");--> statement-breakpoint
CREATE INDEX "signing_keys_organization_idx" ON "signing_keys" ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "signing_keys_credential_idx" ON "signing_keys" ("credential_id");--> statement-breakpoint
CREATE INDEX "signing_nonces_expires_idx" ON "signing_nonces" ("expires_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" ("endpoint_id","attempted_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" ("event_id","endpoint_id");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_organization_idx" ON "webhook_endpoints" ("organization_id","created_at");--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "credential_secrets" ADD CONSTRAINT "credential_secrets_credential_id_credentials_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id");--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_patient_id_patients_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_event_id_events_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id");--> statement-breakpoint
ALTER TABLE "revoked_tokens" ADD CONSTRAINT "revoked_tokens_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_credential_id_credentials_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id");--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_events_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");