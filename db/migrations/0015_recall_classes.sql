CREATE TABLE "recall_classes" (
	"recall_class" text PRIMARY KEY NOT NULL,
	"effectiveness_level" text NOT NULL,
	"effectiveness_target_percent" integer NOT NULL,
	"notice_urgency" text NOT NULL,
	"reminder_every" text NOT NULL,
	"report_every" text NOT NULL,
	"description" text NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recall_classes_class_check" CHECK ("recall_classes"."recall_class" in ('I', 'II', 'III')),
	CONSTRAINT "recall_classes_level_check" CHECK ("recall_classes"."effectiveness_level" in ('A', 'B', 'C', 'D', 'E')),
	CONSTRAINT "recall_classes_urgency_check" CHECK ("recall_classes"."notice_urgency" in ('immediate', 'urgent', 'routine'))
);
