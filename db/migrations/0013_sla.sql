CREATE TABLE "calendars" (
	"id" text PRIMARY KEY NOT NULL,
	"utc_offset_minutes" integer NOT NULL,
	"working_days" integer[] NOT NULL,
	"start_minute" integer NOT NULL,
	"end_minute" integer NOT NULL,
	"holidays" text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sla_definitions" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"metric" text NOT NULL,
	"target" text NOT NULL,
	"calendar_id" text NOT NULL,
	"level" text NOT NULL,
	"warn_at" integer[] NOT NULL,
	CONSTRAINT "sla_definitions_kind_severity_metric_unique" UNIQUE("kind","severity","metric"),
	CONSTRAINT "sla_definitions_metric_check" CHECK ("sla_definitions"."metric" in ('response', 'resolution')),
	CONSTRAINT "sla_definitions_level_check" CHECK ("sla_definitions"."level" in ('CSL', 'SLO'))
);
--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "sla" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sla_definitions" ADD CONSTRAINT "sla_definitions_calendar_id_calendars_id_fk" FOREIGN KEY ("calendar_id") REFERENCES "public"."calendars"("id") ON DELETE no action ON UPDATE no action;