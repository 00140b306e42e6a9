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
ALTER TABLE "patients" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "audit_events_organization_sequence_idx" ON "audit_events" ("organization_id","sequence");--> statement-breakpoint
CREATE INDEX "audit_events_organization_patient_idx" ON "audit_events" ("organization_id","patient_id");--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");