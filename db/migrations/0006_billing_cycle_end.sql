ALTER TABLE "product_orders" ADD COLUMN "billing_end_date" text;--> statement-breakpoint
ALTER TABLE "rfbs" ADD COLUMN "cycle_end_date" text;