-- CreateEnum
CREATE TYPE "JointDepartmentKind" AS ENUM ('EDUCATION', 'HUMAN_RESOURCES', 'HOUSING', 'MEDICAL_SECURITY', 'DISABLED_PERSONS_FEDERATION', 'CHARITY_FEDERATION', 'WATER_SUPPLY', 'POWER_SUPPLY', 'CABLE_TV', 'CIVIL_AFFAIRS', 'HEALTH', 'OTHER');

-- CreateEnum
CREATE TYPE "ApplicationStatus" AS ENUM ('SUBMITTED', 'IN_PROGRESS', 'COMPLETED', 'PARTLY_REJECTED', 'REJECTED');

-- CreateEnum
CREATE TYPE "ApplicationDecision" AS ENUM ('PENDING', 'APPROVED', 'REJECTED');

-- CreateEnum
CREATE TYPE "JointTaskStatus" AS ENUM ('PENDING', 'ACCEPTED', 'COMPLETED', 'REJECTED');

-- CreateEnum
CREATE TYPE "IncomeKind" AS ENUM ('WAGE', 'SUPPORTED_JOB_WAGE', 'PENSION', 'OTHER');

-- CreateEnum
CREATE TYPE "AlertKind" AS ENUM ('MEDICAL_EXPENSE');

-- CreateEnum
CREATE TYPE "AlertStatus" AS ENUM ('OPEN', 'VISIT_SCHEDULED', 'DISMISSED');

-- AlterEnum
ALTER TYPE "AccessGround" ADD VALUE 'JOINT_TASK';

-- DropForeignKey
ALTER TABLE "closed_figures" DROP CONSTRAINT "closed_figures_alliance_id_fkey";

-- DropForeignKey
ALTER TABLE "household_category_change" DROP CONSTRAINT "household_category_change_household_id_fkey";

-- DropForeignKey
ALTER TABLE "household_member_change" DROP CONSTRAINT "household_member_change_household_id_fkey";

-- DropForeignKey
ALTER TABLE "household_member_change" DROP CONSTRAINT "household_member_change_member_id_fkey";

-- DropForeignKey
ALTER TABLE "household_state" DROP CONSTRAINT "household_state_household_id_fkey";

-- DropForeignKey
ALTER TABLE "reporting_close" DROP CONSTRAINT "reporting_close_alliance_id_fkey";

-- DropIndex
DROP INDEX "household_state_valid_from_idx";

-- CreateTable
CREATE TABLE "joint_item" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "department_kind" "JointDepartmentKind" NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "illustrative" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "joint_item_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "joint_item_department" (
    "county_alliance_id" UUID NOT NULL,
    "item_code" TEXT NOT NULL,
    "organization_id" UUID NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "joint_item_department_pkey" PRIMARY KEY ("county_alliance_id","item_code")
);

-- CreateTable
CREATE TABLE "assistance_application" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "alliance_id" UUID NOT NULL,
    "requested" "AssistanceCategory" NOT NULL,
    "note" TEXT,
    "status" "ApplicationStatus" NOT NULL DEFAULT 'SUBMITTED',
    "decision" "ApplicationDecision" NOT NULL DEFAULT 'PENDING',
    "decision_reason" TEXT,
    "effective_on" DATE,
    "submitted_by_id" UUID,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_by_id" UUID,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "assistance_application_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "joint_handling_task" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "application_id" UUID NOT NULL,
    "item_code" TEXT NOT NULL,
    "organization_id" UUID NOT NULL,
    "household_id" UUID NOT NULL,
    "status" "JointTaskStatus" NOT NULL DEFAULT 'PENDING',
    "note" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by_id" UUID,

    CONSTRAINT "joint_handling_task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assistance_standard" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "alliance_id" UUID NOT NULL,
    "category" "AssistanceCategory" NOT NULL,
    "monthly_amount" DECIMAL(14,2) NOT NULL,
    "effective_from" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "assistance_standard_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "minimum_wage" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "alliance_id" UUID NOT NULL,
    "monthly_amount" DECIMAL(14,2) NOT NULL,
    "effective_from" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "minimum_wage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "county_assistance_setting" (
    "alliance_id" UUID NOT NULL,
    "exempt_supported_job_wage" BOOLEAN NOT NULL DEFAULT false,
    "marginal_multiplier" DECIMAL(4,2) NOT NULL DEFAULT 1.5,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "county_assistance_setting_pkey" PRIMARY KEY ("alliance_id")
);

-- CreateTable
CREATE TABLE "member_income" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "month" DATE NOT NULL,
    "kind" "IncomeKind" NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "member_income_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "medical_expense" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "on" DATE NOT NULL,
    "note" TEXT,
    "recorded_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "medical_expense_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "monitoring_alert" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "alliance_id" UUID NOT NULL,
    "kind" "AlertKind" NOT NULL,
    "status" "AlertStatus" NOT NULL DEFAULT 'OPEN',
    "reason" TEXT NOT NULL,
    "figures" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by_id" UUID,
    "resolution" TEXT,
    "service_request_id" UUID,

    CONSTRAINT "monitoring_alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "joint_item_department_organization_id_idx" ON "joint_item_department"("organization_id");

-- CreateIndex
CREATE INDEX "assistance_application_alliance_id_status_idx" ON "assistance_application"("alliance_id", "status");

-- CreateIndex
CREATE INDEX "assistance_application_household_id_idx" ON "assistance_application"("household_id");

-- CreateIndex
CREATE INDEX "assistance_application_submitted_at_id_idx" ON "assistance_application"("submitted_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "joint_handling_task_organization_id_status_created_at_idx" ON "joint_handling_task"("organization_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "joint_handling_task_household_id_item_code_idx" ON "joint_handling_task"("household_id", "item_code");

-- CreateIndex
CREATE UNIQUE INDEX "joint_handling_task_application_id_item_code_key" ON "joint_handling_task"("application_id", "item_code");

-- CreateIndex
CREATE UNIQUE INDEX "assistance_standard_alliance_id_category_effective_from_key" ON "assistance_standard"("alliance_id", "category", "effective_from");

-- CreateIndex
CREATE UNIQUE INDEX "minimum_wage_alliance_id_effective_from_key" ON "minimum_wage"("alliance_id", "effective_from");

-- CreateIndex
CREATE INDEX "member_income_household_id_month_idx" ON "member_income"("household_id", "month");

-- CreateIndex
CREATE INDEX "member_income_month_idx" ON "member_income"("month");

-- CreateIndex
CREATE UNIQUE INDEX "member_income_member_id_month_kind_key" ON "member_income"("member_id", "month", "kind");

-- CreateIndex
CREATE INDEX "medical_expense_household_id_on_idx" ON "medical_expense"("household_id", "on");

-- CreateIndex
CREATE INDEX "monitoring_alert_alliance_id_status_idx" ON "monitoring_alert"("alliance_id", "status");

-- CreateIndex
CREATE INDEX "monitoring_alert_household_id_kind_status_idx" ON "monitoring_alert"("household_id", "kind", "status");

-- AddForeignKey
ALTER TABLE "joint_item_department" ADD CONSTRAINT "joint_item_department_county_alliance_id_fkey" FOREIGN KEY ("county_alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "joint_item_department" ADD CONSTRAINT "joint_item_department_item_code_fkey" FOREIGN KEY ("item_code") REFERENCES "joint_item"("code") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "joint_item_department" ADD CONSTRAINT "joint_item_department_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "assistance_application" ADD CONSTRAINT "assistance_application_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "assistance_application" ADD CONSTRAINT "assistance_application_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "joint_handling_task" ADD CONSTRAINT "joint_handling_task_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "assistance_application"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "joint_handling_task" ADD CONSTRAINT "joint_handling_task_item_code_fkey" FOREIGN KEY ("item_code") REFERENCES "joint_item"("code") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "joint_handling_task" ADD CONSTRAINT "joint_handling_task_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "joint_handling_task" ADD CONSTRAINT "joint_handling_task_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "assistance_standard" ADD CONSTRAINT "assistance_standard_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "minimum_wage" ADD CONSTRAINT "minimum_wage_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "county_assistance_setting" ADD CONSTRAINT "county_assistance_setting_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "member_income" ADD CONSTRAINT "member_income_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "member_income" ADD CONSTRAINT "member_income_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "household_member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "medical_expense" ADD CONSTRAINT "medical_expense_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "monitoring_alert" ADD CONSTRAINT "monitoring_alert_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "monitoring_alert" ADD CONSTRAINT "monitoring_alert_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "monitoring_alert" ADD CONSTRAINT "monitoring_alert_service_request_id_fkey" FOREIGN KEY ("service_request_id") REFERENCES "service_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Amounts the database keeps sane.
ALTER TABLE "assistance_standard" ADD CONSTRAINT "assistance_standard_amount_check" CHECK ("monthly_amount" > 0);
ALTER TABLE "minimum_wage" ADD CONSTRAINT "minimum_wage_amount_check" CHECK ("monthly_amount" > 0);
ALTER TABLE "member_income" ADD CONSTRAINT "member_income_amount_check" CHECK ("amount" >= 0);
ALTER TABLE "member_income" ADD CONSTRAINT "member_income_month_check" CHECK (extract(day FROM "month") = 1);
ALTER TABLE "medical_expense" ADD CONSTRAINT "medical_expense_amount_check" CHECK ("amount" > 0);
ALTER TABLE "county_assistance_setting" ADD CONSTRAINT "county_assistance_setting_multiplier_check" CHECK ("marginal_multiplier" >= 1);
-- One open alert of a kind per household.
CREATE UNIQUE INDEX "monitoring_alert_one_open_idx" ON "monitoring_alert"("household_id", "kind") WHERE "status" = 'OPEN';
