export { createAppPubSub } from "./pubsub";
export type { AppPubSub, PubSubHandle } from "./pubsub";
export type { PendingEvent, ServiceRequestEventPayload, TopicName, Topics } from "./topics";
