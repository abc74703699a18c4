ALTER TABLE "product_orders" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "product_orders" ADD CONSTRAINT "product_orders_idempotency_key_unique" UNIQUE("idempotency_key");