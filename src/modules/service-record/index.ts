export { ServiceRecord } from "./service-record.types";
export { ServiceRecordService } from "./service-record.service";
export type { ServedCounts } from "./service-record.service";
export { projectServedCounts } from "./service-record.loaders";
export { ServiceProjectServedResolver, ServiceRecordResolver } from "./service-record.resolver";
