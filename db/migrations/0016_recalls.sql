CREATE TABLE "recall_notices" (
	"id" text PRIMARY KEY NOT NULL,
	"recall_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"method" text,
	"sent_at" timestamp with time zone,
	"reminders" integer DEFAULT 0 NOT NULL,
	"last_reminded_at" timestamp with time zone,
	"retracted_at" timestamp with time zone,
	"response" text,
	"responded_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recall_notices_party" UNIQUE("recall_id","customer_id"),
	CONSTRAINT "recall_notices_response_check" CHECK ("recall_notices"."response" is null or "recall_notices"."response" in ('acknowledged', 'returned', 'remedied', 'declined'))
);
--> statement-breakpoint
CREATE TABLE "recall_parties" (
	"recall_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"service_ids" text[] NOT NULL,
	"quantity" integer NOT NULL,
	CONSTRAINT "recall_parties_recall_id_customer_id_pk" PRIMARY KEY("recall_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "recall_reports" (
	"id" text PRIMARY KEY NOT NULL,
	"recall_id" text NOT NULL,
	"number" integer NOT NULL,
	"final" boolean NOT NULL,
	"figures" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"filed_at" timestamp with time zone,
	"regulator_reference" text
);
--> statement-breakpoint
CREATE TABLE "recall_responses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"notice_id" text NOT NULL,
	"recall_id" text NOT NULL,
	"response" text NOT NULL,
	"quantity" integer,
	"by" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "recall_responses_notice_response" UNIQUE("notice_id","response"),
	CONSTRAINT "recall_responses_response_check" CHECK ("recall_responses"."response" in ('acknowledged', 'returned', 'remedied', 'declined'))
);
--> statement-breakpoint
CREATE TABLE "recalls" (
	"id" text PRIMARY KEY NOT NULL,
	"product_id" text NOT NULL,
	"component_id" text,
	"reason" text NOT NULL,
	"hazard" text NOT NULL,
	"instructions" text NOT NULL,
	"scope" jsonb NOT NULL,
	"status" text NOT NULL,
	"recall_class" text,
	"assessment" jsonb,
	"class_rule" jsonb,
	"affected" integer DEFAULT 0 NOT NULL,
	"quantity" integer DEFAULT 0 NOT NULL,
	"notifying_from" timestamp with time zone,
	"notified_at" timestamp with time zone,
	"next_reminder_at" timestamp with time zone,
	"next_report_at" timestamp with time zone,
	"termination" jsonb,
	"terminated_at" timestamp with time zone,
	"cancellation" jsonb,
	"request_hash" text NOT NULL,
	"idempotency_key" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recalls_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "recalls_status_check" CHECK ("recalls"."status" in ('initiated', 'assessing', 'notifying', 'monitoring', 'terminationRequested', 'terminated', 'cancelled')),
	CONSTRAINT "recalls_class_check" CHECK ("recalls"."recall_class" is null or "recalls"."recall_class" in ('I', 'II', 'III'))
);
--> statement-breakpoint
ALTER TABLE "tasks" DROP CONSTRAINT "tasks_kind_check";--> statement-breakpoint
ALTER TABLE "recall_notices" ADD CONSTRAINT "recall_notices_recall_id_recalls_id_fk" FOREIGN KEY ("recall_id") REFERENCES "public"."recalls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recall_notices" ADD CONSTRAINT "recall_notices_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recall_parties" ADD CONSTRAINT "recall_parties_recall_id_recalls_id_fk" FOREIGN KEY ("recall_id") REFERENCES "public"."recalls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recall_parties" ADD CONSTRAINT "recall_parties_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recall_reports" ADD CONSTRAINT "recall_reports_recall_id_recalls_id_fk" FOREIGN KEY ("recall_id") REFERENCES "public"."recalls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recall_responses" ADD CONSTRAINT "recall_responses_notice_id_recall_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."recall_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recalls" ADD CONSTRAINT "recalls_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "recall_notices_response_idx" ON "recall_notices" USING btree ("recall_id","response");--> statement-breakpoint
CREATE INDEX "recall_reports_recall_idx" ON "recall_reports" USING btree ("recall_id","number");--> statement-breakpoint
CREATE INDEX "recall_responses_recall_idx" ON "recall_responses" USING btree ("recall_id","response");--> statement-breakpoint
CREATE INDEX "recalls_status_idx" ON "recalls" USING btree ("status");--> statement-breakpoint
CREATE INDEX "service_instances_offering_idx" ON "service_instances" USING btree ("offering_id","component_id");--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_kind_check" CHECK ("tasks"."kind" in ('manualFulfilment', 'fallout', 'caseWork', 'hazardAssessment', 'recallTermination'));