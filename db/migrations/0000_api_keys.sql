CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key_hash" text NOT NULL,
	"role" text NOT NULL,
	"groups" text[] DEFAULT '{}'::text[] NOT NULL,
	"customer_id" text,
	"label" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_role_check" CHECK ("api_keys"."role" in ('agent', 'backoffice', 'billing', 'support', 'admin', 'customer')),
	CONSTRAINT "api_keys_customer_check" CHECK (("api_keys"."role" = 'customer') = ("api_keys"."customer_id" is not null))
);
--> statement-breakpoint
CREATE INDEX "api_keys_label_idx" ON "api_keys" USING btree ("label");