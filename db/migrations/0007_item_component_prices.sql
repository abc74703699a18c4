ALTER TABLE "order_items" ADD COLUMN "base" jsonb;--> statement-breakpoint
ALTER TABLE "order_items" ADD COLUMN "components" jsonb;