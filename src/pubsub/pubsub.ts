import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "@graphql-yoga/subscription";
import { Redis } from "ioredis";
import type { PendingEvent, Topics } from "./topics";

type YogaTopics = { [T in keyof Topics]: [Topics[T]] };

/** The pub/sub type-graphql and the services share. */
export type AppPubSub = ReturnType<typeof createPubSub<YogaTopics>>;

export interface PubSubHandle {
  readonly pubSub: AppPubSub;
  readonly kind: "memory" | "redis";
  publish(events: readonly PendingEvent[]): void;
  /** Redis answers PING (always true in memory). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

type EventTarget = ReturnType<typeof createRedisEventTarget>;

/**
 * Prefixes every topic with `prefix` on the wire: Redis channels are shared by everything
 * connected to the server, whatever the database number, so each deployment (or test
 * database) speaks on its own channels.
 */
function withChannelPrefix(target: EventTarget, prefix: string): EventTarget {
  if (!prefix) return target;
  return {
    addEventListener: (topic, listener) => target.addEventListener(prefix + topic, listener),
    removeEventListener: (topic, listener) => target.removeEventListener(prefix + topic, listener),
    dispatchEvent: (event) => target.dispatchEvent(new CustomEvent(prefix + event.type, { detail: event.detail })),
  };
}

/**
 * In-process pub/sub, or Redis pub/sub shared by every instance when `redisUrl` is set; Redis
 * channel names start with `channelPrefix`.
 */
export function createAppPubSub(redisUrl?: string, channelPrefix = ""): PubSubHandle {
  if (!redisUrl) {
    const pubSub = createPubSub<YogaTopics>();
    return {
      pubSub,
      kind: "memory",
      publish: (events) => events.forEach((e) => pubSub.publish(e.topic, e.payload)),
      ready: async () => true,
      close: async () => undefined,
    };
  }
  const options = { maxRetriesPerRequest: 2, lazyConnect: false };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  const pubSub = createPubSub<YogaTopics>({
    eventTarget: withChannelPrefix(createRedisEventTarget({ publishClient, subscribeClient }), channelPrefix),
  });
  return {
    pubSub,
    kind: "redis",
    publish: (events) => events.forEach((e) => pubSub.publish(e.topic, e.payload)),
    async ready() {
      try {
        return (await publishClient.ping()) === "PONG";
      } catch {
        return false;
      }
    },
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
