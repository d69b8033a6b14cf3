-- CreateTable
CREATE TABLE "event_outbox" (
    "id" BIGINT NOT NULL,
    "topic" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_outbox_horizon" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "through" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "event_outbox_horizon_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "event_outbox_created_at_idx" ON "event_outbox"("created_at");

-- Event ids are taken from this sequence only while holding the event log's transaction-scoped
-- advisory lock, just before commit (src/pubsub/event-log.ts).
CREATE SEQUENCE "event_outbox_id_seq" AS BIGINT;
INSERT INTO "event_outbox_horizon" ("id", "through") VALUES (1, 0);
ALTER TABLE "event_outbox_horizon" ADD CONSTRAINT "event_outbox_horizon_single_row" CHECK (id = 1);
