export { createAppPubSub } from "./pubsub";
export type { PubSubHandle, PubSubOptions } from "./pubsub";
export { appendEvents, type StoredEvent } from "./event-log";
export type { EventFeed, FeedSubscription } from "./event-feed";
export type { OrganizationMembershipsPayload, JointHandlingTaskEventPayload, PendingEvent, ServiceRequestEventPayload, TopicName, Topics } from "./topics";
