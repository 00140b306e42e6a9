CREATE TABLE "bookings" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"patient_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"status" text NOT NULL,
	"start_at" timestamp with time zone NOT NULL,
	"end_at" timestamp with time zone NOT NULL,
	"blocked_until" timestamp with time zone NOT NULL,
	"duration" integer NOT NULL,
	"price_amount" integer NOT NULL,
	"price_currency" text NOT NULL,
	"video_provider" text,
	"room_id" text,
	"patient_join_url" text,
	"provider_join_url" text,
	"cancelled_by" text,
	"cancelled_at" timestamp with time zone,
	"cancel_reason" text,
	"cancel_late" boolean,
	"history" jsonb DEFAULT '[]' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credentials" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "patients" (
	"id" text PRIMARY KEY,
	"organization_id" text NOT NULL,
	"external_id" text NOT NULL,
	"external_id_index" text NOT NULL,
	"given_name" text NOT NULL,
	"family_name" text NOT NULL,
	"birth_date" text NOT NULL,
	"country" text NOT NULL,
	"time_zone" text NOT NULL,
	"email" text,
	"email_index" text,
	"phone" text,
	"gender" text,
	"language" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"id" text PRIMARY KEY,
	"display_name" text NOT NULL,
	"type" text NOT NULL,
	"specialties" jsonb NOT NULL,
	"languages" jsonb NOT NULL,
	"gender" text NOT NULL,
	"bio" text NOT NULL,
	"years_of_experience" integer NOT NULL,
	"session_types" jsonb NOT NULL,
	"time_zone" text NOT NULL,
	"licensed_regions" jsonb NOT NULL,
	"accepting_new_patients" boolean NOT NULL,
	"active" boolean NOT NULL,
	"schedule" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "bookings_provider_active_idx" ON "bookings" ("provider_id","start_at") WHERE status in ('pending', 'confirmed');--> statement-breakpoint
CREATE INDEX "bookings_patient_active_idx" ON "bookings" ("patient_id","start_at") WHERE status in ('pending', 'confirmed');--> statement-breakpoint
CREATE INDEX "bookings_organization_start_idx" ON "bookings" ("organization_id","start_at","id");--> statement-breakpoint
CREATE INDEX "credentials_organization_idx" ON "credentials" ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "patients_organization_external_id_key" ON "patients" ("organization_id","external_id_index");--> statement-breakpoint
CREATE INDEX "patients_organization_email_idx" ON "patients" ("organization_id","email_index");--> statement-breakpoint
CREATE INDEX "patients_organization_created_idx" ON "patients" ("organization_id","created_at","id");--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_patient_id_patients_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patients"("id");--> statement-breakpoint
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_provider_id_providers_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "providers"("id");--> statement-breakpoint
ALTER TABLE "credentials" ADD CONSTRAINT "credentials_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "patients" ADD CONSTRAINT "patients_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");