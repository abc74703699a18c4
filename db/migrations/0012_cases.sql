CREATE TABLE "case_events" (
	"id" text PRIMARY KEY NOT NULL,
	"case_id" text NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"details" jsonb NOT NULL,
	CONSTRAINT "case_events_kind_check" CHECK ("case_events"."kind" in ('status', 'note', 'triage', 'escalation', 'sla'))
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"origin" text NOT NULL,
	"channel" text NOT NULL,
	"severity" text NOT NULL,
	"customer_id" text NOT NULL,
	"contact_id" uuid NOT NULL,
	"product_id" text,
	"symptom" text,
	"related_order_id" text,
	"invoice_id" text,
	"description" text NOT NULL,
	"status" text NOT NULL,
	"owner_group" text,
	"escalation_level" integer DEFAULT 0 NOT NULL,
	"escalations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"escalation_rule" jsonb,
	"triage" jsonb,
	"resolution" text,
	"satisfaction" jsonb,
	"external_id" text,
	"request_hash" text NOT NULL,
	"idempotency_key" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	CONSTRAINT "cases_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "cases_kind_check" CHECK ("cases"."kind" in ('billing', 'sales', 'defect')),
	CONSTRAINT "cases_origin_check" CHECK ("cases"."origin" in ('internal', 'external')),
	CONSTRAINT "cases_channel_check" CHECK ("cases"."channel" in ('phone', 'web', 'fax', 'email', 'presential')),
	CONSTRAINT "cases_severity_check" CHECK ("cases"."severity" in ('critical', 'major', 'minor')),
	CONSTRAINT "cases_status_check" CHECK ("cases"."status" in ('gatheringInfo', 'open', 'pending', 'resolved', 'closed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "escalation_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"product_id" text,
	"symptom" text,
	"levels" jsonb NOT NULL,
	"description" text NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "escalation_rules_kind_check" CHECK ("escalation_rules"."kind" in ('billing', 'sales', 'defect'))
);
--> statement-breakpoint
ALTER TABLE "tasks" DROP CONSTRAINT "tasks_kind_check";--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "symptoms" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "triage_questions" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_events_case_idx" ON "case_events" USING btree ("case_id","at");--> statement-breakpoint
CREATE INDEX "cases_customer_idx" ON "cases" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "cases_status_idx" ON "cases" USING btree ("status");--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_kind_check" CHECK ("tasks"."kind" in ('manualFulfilment', 'fallout', 'caseWork'));