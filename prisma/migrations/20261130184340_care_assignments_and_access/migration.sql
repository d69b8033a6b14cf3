-- CreateEnum
CREATE TYPE "AccessGround" AS ENUM ('ASSIGNED', 'CLAIMED', 'COORDINATOR', 'ADMIN');

-- AlterTable
ALTER TABLE "account" ADD COLUMN     "active" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "token_version" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "idempotency_key" ADD COLUMN     "input_hash" TEXT;

-- AlterTable
ALTER TABLE "service_request" ADD COLUMN     "raised_by_account_id" UUID,
ADD COLUMN     "raised_by_organization_id" UUID;

-- CreateTable
CREATE TABLE "household_assignment" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "from_date" DATE NOT NULL,
    "to_date" DATE,
    "assigned_by_id" UUID NOT NULL,
    "ended_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "household_assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "personal_data_access" (
    "account_id" UUID NOT NULL,
    "household_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "ground" "AccessGround" NOT NULL,
    "first_at" TIMESTAMPTZ(3) NOT NULL,
    "last_at" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "personal_data_access_pkey" PRIMARY KEY ("account_id","household_id","day")
);

-- CreateIndex
CREATE INDEX "household_assignment_household_id_idx" ON "household_assignment"("household_id");

-- CreateIndex
CREATE INDEX "household_assignment_organization_id_household_id_idx" ON "household_assignment"("organization_id", "household_id");

-- CreateIndex
CREATE INDEX "personal_data_access_household_id_last_at_idx" ON "personal_data_access"("household_id", "last_at");

-- CreateIndex
CREATE INDEX "personal_data_access_last_at_idx" ON "personal_data_access"("last_at");

-- AddForeignKey
ALTER TABLE "service_request" ADD CONSTRAINT "service_request_raised_by_organization_id_fkey" FOREIGN KEY ("raised_by_organization_id") REFERENCES "organization"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "household_assignment" ADD CONSTRAINT "household_assignment_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "household_assignment" ADD CONSTRAINT "household_assignment_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- An assignment ends on or after the day it starts (both days inclusive).
ALTER TABLE "household_assignment"
  ADD CONSTRAINT "household_assignment_dates_check" CHECK (to_date IS NULL OR to_date >= from_date);
