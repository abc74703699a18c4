ALTER TABLE "task_events" ADD COLUMN "version" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_task_version" UNIQUE("task_id","version");