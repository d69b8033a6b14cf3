export { AssistanceApplication, JointHandlingTask, JointItem } from "./joint-handling.types";
export { APPLICATION_STATUS_SQL, JointHandlingService } from "./joint-handling.service";
export {
  AssistanceApplicationResolver,
  JointHandlingTaskEventResolver,
  JointHandlingTaskResolver,
  JointItemResolver,
} from "./joint-handling.resolver";
