-- CreateEnum
CREATE TYPE "HouseholdStatus" AS ENUM ('ACTIVE', 'EXITED');

-- CreateEnum
CREATE TYPE "ExitReason" AS ENUM ('NO_LONGER_ELIGIBLE', 'MOVED_AWAY', 'DECEASED', 'MERGED', 'OTHER');

-- CreateEnum
CREATE TYPE "HouseholdChangeKind" AS ENUM ('REGISTERED', 'CATEGORY_CHANGED', 'EXITED');

-- CreateEnum
CREATE TYPE "MemberChangeKind" AS ENUM ('ADDED', 'REMOVED', 'UPDATED');

-- AlterTable
ALTER TABLE "alliance" ADD COLUMN     "closed_through" DATE;

-- AlterTable
ALTER TABLE "funding" ADD COLUMN     "void_reason" TEXT,
ADD COLUMN     "voided_at" TIMESTAMPTZ(3),
ADD COLUMN     "voided_by_id" UUID;

-- AlterTable
ALTER TABLE "household" ADD COLUMN     "exit_reason" "ExitReason",
ADD COLUMN     "exited_on" DATE,
ADD COLUMN     "recognized_on" DATE,
ADD COLUMN     "status" "HouseholdStatus" NOT NULL DEFAULT 'ACTIVE';

-- Existing households: their history starts at their registration (China time).
UPDATE "household" SET "recognized_on" = ("created_at" AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE "household" ALTER COLUMN "recognized_on" SET NOT NULL;

-- AlterTable
ALTER TABLE "household_member" ADD COLUMN     "joined_on" DATE,
ADD COLUMN     "left_on" DATE;

UPDATE "household_member" m SET "joined_on" = h."recognized_on" FROM "household" h WHERE h."id" = m."household_id";
ALTER TABLE "household_member" ALTER COLUMN "joined_on" SET NOT NULL;

-- AlterTable
ALTER TABLE "service_record" ADD COLUMN     "void_reason" TEXT,
ADD COLUMN     "voided_at" TIMESTAMPTZ(3),
ADD COLUMN     "voided_by_id" UUID;

-- AlterTable
ALTER TABLE "visit" ADD COLUMN     "void_reason" TEXT,
ADD COLUMN     "voided_at" TIMESTAMPTZ(3),
ADD COLUMN     "voided_by_id" UUID;

-- CreateTable
CREATE TABLE "household_category_change" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "kind" "HouseholdChangeKind" NOT NULL,
    "category" "AssistanceCategory",
    "effective_on" DATE NOT NULL,
    "reason" TEXT,
    "exit_reason" "ExitReason",
    "recorded_by_id" UUID,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "household_category_change_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "household_member_change" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "household_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "kind" "MemberChangeKind" NOT NULL,
    "effective_on" DATE NOT NULL,
    "reason" TEXT,
    "recorded_by_id" UUID,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "household_member_change_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "household_state" (
    "household_id" UUID NOT NULL,
    "alliance_id" UUID NOT NULL,
    "valid_from" DATE NOT NULL,
    "valid_to" DATE,
    "category" "AssistanceCategory",
    "persons" INTEGER NOT NULL,
    "entered_persons" INTEGER NOT NULL,
    "exited_persons" INTEGER NOT NULL,

    CONSTRAINT "household_state_pkey" PRIMARY KEY ("household_id","valid_from")
);

-- CreateTable
CREATE TABLE "alliance_membership_end" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "alliance_id" UUID NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL,
    "left_on" DATE NOT NULL,
    "ended_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alliance_membership_end_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reporting_close" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "alliance_id" UUID NOT NULL,
    "through" DATE NOT NULL,
    "closed_by_id" UUID,
    "closed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reporting_close_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "closed_figures" (
    "alliance_id" UUID NOT NULL,
    "period_from" DATE NOT NULL,
    "period_to" DATE NOT NULL,
    "figures" JSONB NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "closed_figures_pkey" PRIMARY KEY ("alliance_id","period_from","period_to")
);

-- CreateIndex
CREATE INDEX "household_category_change_household_id_effective_on_idx" ON "household_category_change"("household_id", "effective_on");

-- CreateIndex
CREATE INDEX "household_member_change_household_id_recorded_at_idx" ON "household_member_change"("household_id", "recorded_at");

-- CreateIndex
CREATE INDEX "household_state_alliance_id_valid_from_idx" ON "household_state"("alliance_id", "valid_from");

-- CreateIndex
CREATE INDEX "alliance_membership_end_organization_id_idx" ON "alliance_membership_end"("organization_id");

-- CreateIndex
CREATE INDEX "alliance_membership_end_alliance_id_idx" ON "alliance_membership_end"("alliance_id");

-- CreateIndex
CREATE INDEX "reporting_close_alliance_id_idx" ON "reporting_close"("alliance_id");

-- AddForeignKey
ALTER TABLE "household_category_change" ADD CONSTRAINT "household_category_change_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "household_member_change" ADD CONSTRAINT "household_member_change_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "household_member_change" ADD CONSTRAINT "household_member_change_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "household_member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "household_state" ADD CONSTRAINT "household_state_household_id_fkey" FOREIGN KEY ("household_id") REFERENCES "household"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "reporting_close" ADD CONSTRAINT "reporting_close_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "closed_figures" ADD CONSTRAINT "closed_figures_alliance_id_fkey" FOREIGN KEY ("alliance_id") REFERENCES "alliance"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Household history rules the database keeps.
ALTER TABLE "household_category_change" ADD CONSTRAINT "household_category_change_category_check"
  CHECK (("kind" = 'EXITED') = ("category" IS NULL) AND ("kind" = 'EXITED') = ("exit_reason" IS NOT NULL));
ALTER TABLE "household_member" ADD CONSTRAINT "household_member_left_check" CHECK ("left_on" IS NULL OR "left_on" > "joined_on");
ALTER TABLE "household" ADD CONSTRAINT "household_exit_check"
  CHECK (("status" = 'EXITED') = ("exited_on" IS NOT NULL) AND ("status" = 'EXITED') = ("exit_reason" IS NOT NULL));
ALTER TABLE "household_state" ADD CONSTRAINT "household_state_span_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from");
CREATE INDEX "household_state_valid_from_idx" ON "household_state"("valid_from", "valid_to");

-- Rebuilds the derived spans (household_state) of the households `ids` from their category
-- history and their members' days: one row per span between consecutive days on which the
-- category or the persons changed, from the recognition day on; category null from the exit on.
-- Several changes on one day: the one recorded last wins.
CREATE FUNCTION refresh_household_state(ids uuid[]) RETURNS void LANGUAGE sql AS $fn$
  DELETE FROM household_state WHERE household_id = ANY(ids);
  INSERT INTO household_state (household_id, alliance_id, valid_from, valid_to, category, persons, entered_persons, exited_persons)
  WITH h AS (
    SELECT id, alliance_id, recognized_on, exited_on FROM household WHERE id = ANY(ids)
  ),
  days AS (
    SELECT c.household_id, c.effective_on AS day FROM household_category_change c JOIN h ON h.id = c.household_id
    UNION
    SELECT m.household_id, m.joined_on FROM household_member m JOIN h ON h.id = m.household_id
    UNION
    SELECT m.household_id, m.left_on FROM household_member m JOIN h ON h.id = m.household_id WHERE m.left_on IS NOT NULL
  ),
  spans AS (
    SELECT d.household_id, h.alliance_id, d.day AS valid_from,
           lead(d.day) OVER (PARTITION BY d.household_id ORDER BY d.day) AS valid_to
      FROM days d JOIN h ON h.id = d.household_id
     WHERE d.day >= h.recognized_on AND (h.exited_on IS NULL OR d.day <= h.exited_on)
  ),
  states AS (
    SELECT s.household_id, s.alliance_id, s.valid_from, s.valid_to,
           (SELECT c.category FROM household_category_change c
             WHERE c.household_id = s.household_id AND c.effective_on <= s.valid_from
             ORDER BY c.effective_on DESC, c.recorded_at DESC, c.id DESC LIMIT 1) AS category,
           (SELECT count(*)::int FROM household_member m
             WHERE m.household_id = s.household_id AND m.joined_on <= s.valid_from
               AND (m.left_on IS NULL OR m.left_on > s.valid_from)) AS persons
      FROM spans s
  ),
  flagged AS (
    SELECT st.*,
           COALESCE(st.category IN ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY'), false) AS low,
           COALESCE(lag(st.category IN ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY'))
                      OVER (PARTITION BY st.household_id ORDER BY st.valid_from), false) AS was_low,
           COALESCE(lag(st.persons) OVER (PARTITION BY st.household_id ORDER BY st.valid_from), 0) AS was_persons
      FROM states st
  )
  SELECT household_id, alliance_id, valid_from, valid_to, category, persons,
         CASE WHEN low AND NOT was_low THEN persons ELSE 0 END,
         CASE WHEN was_low AND NOT low THEN was_persons ELSE 0 END
    FROM flagged;
$fn$;

-- Existing households: a REGISTERED entry on their recognition day, and their spans.
INSERT INTO "household_category_change" ("household_id", "kind", "category", "effective_on", "recorded_at")
SELECT "id", 'REGISTERED', "category", "recognized_on", "created_at" FROM "household";
SELECT refresh_household_state(array_agg("id")) FROM "household" HAVING count(*) > 0;
