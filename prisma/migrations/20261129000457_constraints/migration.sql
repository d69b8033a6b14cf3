-- Rules the database enforces that prisma/schema.prisma cannot express. Prisma's diff ignores
-- CHECK constraints, so later generated migrations neither repeat nor drop them.

-- A grant is positive and its allocations never pass it (the conditional UPDATE relies on this).
ALTER TABLE "welfare_lottery_grant"
  ADD CONSTRAINT "welfare_lottery_grant_amount_check" CHECK (amount > 0),
  ADD CONSTRAINT "welfare_lottery_grant_allocated_check" CHECK (allocated >= 0 AND allocated <= amount);

ALTER TABLE "funding"
  ADD CONSTRAINT "funding_amount_check" CHECK (amount > 0);

ALTER TABLE "service_project"
  ADD CONSTRAINT "service_project_budget_check" CHECK (budget >= 0),
  ADD CONSTRAINT "service_project_dates_check" CHECK (end_date IS NULL OR end_date >= start_date);

ALTER TABLE "household"
  ADD CONSTRAINT "household_size_check" CHECK (size >= 1);

-- Subtree queries are `path LIKE '<path>%'`: a prefix LIKE can use a btree index only with
-- text_pattern_ops (or a "C" collation), whatever the database's locale.
CREATE INDEX "alliance_path_prefix_idx" ON "alliance" ("path" text_pattern_ops);
