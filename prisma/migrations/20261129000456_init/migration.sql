-- CreateEnum
CREATE TYPE "AllianceLevel" AS ENUM ('CITY', 'COUNTY', 'TOWNSHIP', 'VILLAGE');

-- CreateEnum
CREATE TYPE "OperatingStatus" AS ENUM ('STANDARD', 'NEEDS_IMPROVEMENT', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "OrganizationKind" AS ENUM ('GOVERNMENT_DEPARTMENT', 'SOCIAL_ORGANIZATION', 'ENTERPRISE', 'INDUSTRY_ASSOCIATION', 'SOCIAL_GROUP', 'VOLUNTEER_TEAM', 'CHARITY');

-- CreateEnum
CREATE TYPE "ServiceCategory" AS ENUM ('PRECISION_ASSISTANCE', 'PSYCHOLOGICAL_SUPPORT', 'SKILLS_TRAINING', 'COMMUNITY_INTEGRATION', 'EMPLOYMENT', 'MINOR_CARE', 'ELDERLY_CARE', 'MEDICAL_SUPPORT', 'OTHER');

-- CreateEnum
CREATE TYPE "ProjectStatus" AS ENUM ('PLANNED', 'ACTIVE', 'COMPLETED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "FundingSource" AS ENUM ('WELFARE_LOTTERY', 'GOVERNMENT_BUDGET', 'CHARITY', 'ENTERPRISE', 'SOCIAL_DONATION', 'OTHER');

-- CreateEnum
CREATE TYPE "GrantLevel" AS ENUM ('PROVINCIAL', 'MUNICIPAL');

-- CreateEnum
CREATE TYPE "AssistanceCategory" AS ENUM ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY', 'OTHER_MONITORED');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('OPEN', 'CLAIMED', 'FULFILLED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "Urgency" AS ENUM ('LOW', 'NORMAL', 'HIGH', 'URGENT');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'COORDINATOR', 'PARTNER');

-- CreateTable
CREATE TABLE "alliance" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "level" "AllianceLevel" NOT NULL,
    "region_code" TEXT NOT NULL,
    "operating_status" "OperatingStatus" NOT NULL DEFAULT 'STANDARD',
    "parent_id" UUID,
    "path" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alliance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organization" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "kind" "OrganizationKind" NOT NULL,
    "credit_code" TEXT,
    "service_categories" "ServiceCategory"[] DEFAULT ARRAY[]::"ServiceCategory"[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alliance_membership" (
    "organization_id" UUID NOT NULL,
    "alliance_id" UUID NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alliance_membership_pkey" PRIMARY KEY ("organization_id","alliance_id")
);

-- CreateTable
CREATE TABLE "account" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "alliance_id" UUID,
    "organization_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "service_project" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "alliance_id" UUID NOT NULL,
    "category" "ServiceCategory" NOT NULL,
    "status" "ProjectStatus" NOT NULL DEFAULT 'PLANNED',
    "lead_organization_id" UUID NOT NULL,
    "start_date" DATE NOT NULL,
    "end_date" DATE,
    "budget" DECIMAL(14,2) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "service_project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "project_partner" (
    "project_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,

    CONSTRAINT "project_partner_pkey" PRIMARY KEY ("project_id","organization_id")
);

-- CreateTable
CREATE TABLE "funding" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "source" "FundingSource" NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "received_on" DATE NOT NULL,
    "grant_id" UUID,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "funding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "welfare_lottery_grant" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "code" TEXT NOT NULL,
    "level" "GrantLevel" NOT NULL,
    "year" INTEGER NOT NULL,
    "alliance_id" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "allocated" DECIMAL(14,2) NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "welfare_lottery_grant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "household" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "alliance_id" UUID NOT NULL,
    "category" "AssistanceCategory" NOT NULL,
    "head_name" TEXT NOT NULL,
    "id_number" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "household_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "household_member" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "birth_date" DATE NOT NULL,

    CONSTRAINT "household_member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "visit" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "visited_on" DATE NOT NULL,
    "organization_id" UUID,
    "happiness_list_delivered" BOOLEAN NOT NULL,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "visit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "service_record" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "household_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "served_on" DATE NOT NULL,
    "service_request_id" UUID,
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "service_record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "service_request" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "alliance_id" UUID NOT NULL,
    "household_id" UUID,
    "visit_id" UUID,
    "category" "ServiceCategory" NOT NULL,
    "urgency" "Urgency" NOT NULL DEFAULT 'NORMAL',
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" "RequestStatus" NOT NULL DEFAULT 'OPEN',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_by_id" UUID,
    "claimed_at" TIMESTAMPTZ(3),
    "fulfilled_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "cancel_reason" TEXT,

    CONSTRAINT "service_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_key" (
    "account_id" UUID NOT NULL,
    "operation" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "result_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("account_id","operation","key")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "account_id" UUID,
    "operation" TEXT NOT NULL,
    "input" JSONB NOT NULL,
    "result_id" TEXT,
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "alliance_region_code_key" ON "alliance"("region_code");

-- CreateIndex
CREATE INDEX "alliance_parent_id_idx" ON "alliance"("parent_id");

-- CreateIndex
CREATE INDEX "alliance_path_idx" ON "alliance"("path");

-- CreateIndex
CREATE UNIQUE INDEX "organization_credit_code_key" ON "organization"("credit_code");

-- CreateIndex
CREATE INDEX "alliance_membership_alliance_id_idx" ON "alliance_membership"("alliance_id");

-- CreateIndex
CREATE UNIQUE INDEX "account_username_key" ON "account"("username");

-- CreateIndex
CREATE INDEX "service_project_alliance_id_idx" ON "service_project"("alliance_id");

-- CreateIndex
CREATE INDEX "service_project_lead_organization_id_idx" ON "service_project"("lead_organization_id");

-- CreateIndex
CREATE INDEX "project_partner_organization_id_idx" ON "project_partner"("organization_id");

-- CreateIndex
CREATE INDEX "funding_project_id_idx" ON "funding"("project_id");

-- CreateIndex
CREATE INDEX "funding_grant_id_idx" ON "funding"("grant_id");

-- CreateIndex
CREATE INDEX "funding_received_on_idx" ON "funding"("received_on");

-- CreateIndex
CREATE UNIQUE INDEX "welfare_lottery_grant_code_key" ON "welfare_lottery_grant"("code");

-- CreateIndex
CREATE INDEX "welfare_lottery_grant_alliance_id_idx" ON "welfare_lottery_grant"("alliance_id");

-- CreateIndex
CREATE UNIQUE INDEX "household_id_number_key" ON "household"("id_number");

-- CreateIndex
CREATE INDEX "household_alliance_id_category_idx" ON "household"("alliance_id", "category");

-- CreateIndex
CREATE INDEX "household_member_household_id_idx" ON "household_member"("household_id");

-- CreateIndex
CREATE INDEX "visit_household_id_visited_on_idx" ON "visit"("household_id", "visited_on");

-- CreateIndex
CREATE INDEX "visit_visited_on_idx" ON "visit"("visited_on");

-- CreateIndex
CREATE INDEX "visit_organization_id_idx" ON "visit"("organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "service_record_service_request_id_key" ON "service_record"("service_request_id");

-- CreateIndex
CREATE INDEX "service_record_project_id_idx" ON "service_record"("project_id");

-- CreateIndex
CREATE INDEX "service_record_household_id_idx" ON "service_record"("household_id");

-- CreateIndex
CREATE INDEX "service_record_served_on_idx" ON "service_record"("served_on");

-- CreateIndex
CREATE INDEX "service_record_organization_id_idx" ON "service_record"("organization_id");

-- CreateIndex
CREATE INDEX "service_request_created_at_id_idx" ON "service_request"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "service_request_alliance_id_status_idx" ON "service_request"("alliance_id", "status");

-- CreateIndex
CREATE INDEX "service_request_status_created_at_idx" ON "service_request"("status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "service_request_claimed_by_id_status_idx" ON "service_request"("claimed_by_id", "status");

-- CreateIndex
CREATE INDEX "service_request_household_id_idx" ON "service_request"("household_id");

-- CreateIndex
CREATE INDEX "service_request_visit_id_idx" ON "service_request"("visit_id");

-- CreateIndex
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at");

-- AddForeignKey
ALTER TABLE "alliance" ADD CONSTRAINT "alliance_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "alliance"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alliance_membership" ADD CONSTRAINT "alliance_membership_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alliance_membership" ADD CONSTRAINT "alliance_membership_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account" ADD CONSTRAINT "account_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account" ADD CONSTRAINT "account_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_project" ADD CONSTRAINT "service_project_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_project" ADD CONSTRAINT "service_project_lead_organization_id_fkey" FOREIGN KEY ("lead_organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "project_partner" ADD CONSTRAINT "project_partner_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "service_project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "project_partner" ADD CONSTRAINT "project_partner_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "funding" ADD CONSTRAINT "funding_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "service_project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "funding" ADD CONSTRAINT "funding_grant_id_fkey" FOREIGN KEY ("grant_id") REFERENCES "welfare_lottery_grant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "welfare_lottery_grant" ADD CONSTRAINT "welfare_lottery_grant_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "household" ADD CONSTRAINT "household_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "household_member" ADD CONSTRAINT "household_member_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "visit" ADD CONSTRAINT "visit_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "visit" ADD CONSTRAINT "visit_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_record" ADD CONSTRAINT "service_record_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "service_project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_record" ADD CONSTRAINT "service_record_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_record" ADD CONSTRAINT "service_record_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_record" ADD CONSTRAINT "service_record_service_request_id_fkey" FOREIGN KEY ("service_request_id") REFERENCES "service_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_request" ADD CONSTRAINT "service_request_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_request" ADD CONSTRAINT "service_request_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_request" ADD CONSTRAINT "service_request_visit_id_fkey" FOREIGN KEY ("visit_id") REFERENCES "visit"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_request" ADD CONSTRAINT "service_request_claimed_by_id_fkey" FOREIGN KEY ("claimed_by_id") REFERENCES "organization"("id") ON DELETE SET NULL ON UPDATE CASCADE;
