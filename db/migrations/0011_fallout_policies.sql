CREATE TABLE "fallout_policies" (
	"id" text PRIMARY KEY NOT NULL,
	"step" text NOT NULL,
	"error_code" text NOT NULL,
	"first" jsonb NOT NULL,
	"second" jsonb NOT NULL,
	"description" text NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fallout_policies_step_error_code_unique" UNIQUE("step","error_code"),
	CONSTRAINT "fallout_policies_step_check" CHECK ("fallout_policies"."step" in ('activation', 'acceptance', 'rfb', 'deadline', 'deactivation'))
);
--> statement-breakpoint
ALTER TABLE "service_instances" DROP CONSTRAINT "service_instances_state_check";--> statement-breakpoint
ALTER TABLE "service_instances" ADD CONSTRAINT "service_instances_state_check" CHECK ("service_instances"."state" in ('designed', 'reserved', 'active', 'notActivated', 'terminated'));