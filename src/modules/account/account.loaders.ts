import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import type { Account } from "../../generated/prisma/client";
import { AccountService } from "./account.service";

/** Accounts by id, unscoped: callers reach them through records already in scope. */
export const accountById = defineLoader(
  (ctx) => new DataLoader<string, Account | null>((ids) => ctx.app.get(AccountService).findByIds(ids)),
);
