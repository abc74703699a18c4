CREATE TABLE "hub_listeners" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"callback" text NOT NULL,
	"event_types" text[],
	"delivered_tx" bigint NOT NULL,
	"delivered_up_to" bigint NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"lease_holder" text,
	"leased_until" timestamp with time zone,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tx_id" bigint DEFAULT pg_current_xact_id()::text::bigint NOT NULL,
	"order_id" text NOT NULL,
	"event_type" text NOT NULL,
	"event_time" timestamp with time zone DEFAULT now() NOT NULL,
	"product_order" jsonb NOT NULL,
	CONSTRAINT "order_events_type_check" CHECK ("order_events"."event_type" in ('productOrderStateChangeEvent', 'productOrderMilestoneEvent'))
);
