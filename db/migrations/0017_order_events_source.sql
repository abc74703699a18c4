ALTER TABLE "order_events" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "order_events" ADD CONSTRAINT "order_events_source_unique" UNIQUE("source");