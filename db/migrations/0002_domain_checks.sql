ALTER TABLE "activations" ADD CONSTRAINT "activations_status_check" CHECK ("activations"."status" in ('sent', 'succeeded', 'failed'));--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_subject_type_check" CHECK ("notifications"."subject_type" in ('order', 'case', 'recall'));--> statement-breakpoint
ALTER TABLE "product_orders" ADD CONSTRAINT "product_orders_state_check" CHECK ("product_orders"."state" in ('acknowledged', 'inProgress', 'held', 'pendingCancellation', 'cancelled', 'completed', 'failed', 'rejected'));--> statement-breakpoint
ALTER TABLE "rfbs" ADD CONSTRAINT "rfbs_status_check" CHECK ("rfbs"."status" in ('sent', 'accepted', 'rejected', 'withdrawn'));--> statement-breakpoint
ALTER TABLE "service_instances" ADD CONSTRAINT "service_instances_state_check" CHECK ("service_instances"."state" in ('designed', 'reserved', 'active', 'terminated'));--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_status_check" CHECK ("tasks"."status" in ('opened', 'inProgress', 'completed', 'cancelled'));--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_kind_check" CHECK ("tasks"."kind" in ('manualFulfilment', 'fallout'));--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_subject_type_check" CHECK ("tasks"."subject_type" in ('order', 'case', 'recall'));