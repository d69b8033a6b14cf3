import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import { ServiceRecordService, type ServedCounts } from "./service-record.service";

/** 户次 and distinct households served, per project. */
export const projectServedCounts = defineLoader(
  (ctx) => new DataLoader<string, ServedCounts>((ids) => ctx.app.get(ServiceRecordService).servedCountsOf(ids)),
);
