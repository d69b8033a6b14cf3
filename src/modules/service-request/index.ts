export { ServiceRequest, ServiceRequestConnection, ServiceRequestEvent } from "./service-request.types";
export { ServiceRequestService } from "./service-request.service";
export type { NewServiceRequest } from "./service-request.service";
export { serviceRequestById } from "./service-request.loaders";
export {
  AllianceServiceRequestsResolver,
  RequestRaiserResolver,
  ServiceRequestEventResolver,
  ServiceRequestResolver,
} from "./service-request.resolver";
