export { ReportingService } from "./reporting.service";
