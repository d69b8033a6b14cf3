export { MedicalExpense, MonitoringAlert, MonitoringAlertConnection, MonitoringAlertFigures } from "./monitoring.types";
export { MonitoringService } from "./monitoring.service";
export { monitoringAlertById } from "./monitoring.loaders";
export { MedicalExpenseResolver, MonitoringAlertResolver } from "./monitoring.resolver";
