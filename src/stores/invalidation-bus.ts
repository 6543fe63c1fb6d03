import type { Redis } from 'ioredis';

/** Tells every Gatehouse process that a cached object changed. */
/** Told of every change to a client, made in this process or (through Redis) on another node. */
export interface ClientChanges {
  subscribe(onChange: (clientId: string) => void): void;
}

export interface InvalidationBus {
  publish(topic: string, id: string): Promise<void>;
  subscribe(topic: string, onMessage: (id: string) => void): void;
  /** Resolves once every subscription asked for so far is active. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Redis pub/sub: one publish per change, delivered to every subscribed process in
 * milliseconds. Subscribing needs a connection of its own (a subscribed Redis
 * connection can do nothing else), made from the shared one.
 */
export function createRedisInvalidationBus(redis: Redis, prefix = 'gh:invalidate:'): InvalidationBus {
  const handlers = new Map<string, Array<(id: string) => void>>();
  const subscribing: Array<Promise<unknown>> = [];
  let subscriber: Redis | undefined; // made on the first subscription: publishers need none
  const subscriberConnection = () => {
    if (!subscriber) {
      subscriber = redis.duplicate();
      subscriber.on('message', (channel: string, id: string) => {
        for (const handler of handlers.get(channel) ?? []) handler(id);
      });
    }
    return subscriber;
  };
  return {
    async publish(topic, id) {
      await redis.publish(`${prefix}${topic}`, id);
    },
    subscribe(topic, onMessage) {
      const channel = `${prefix}${topic}`;
      const list = handlers.get(channel) ?? [];
      handlers.set(channel, [...list, onMessage]);
      // ioredis re-subscribes by itself after a reconnect; a failure here (the process is
      // closing) loses nothing the cache's TTL would not catch.
      if (list.length === 0) subscribing.push(subscriberConnection().subscribe(channel).catch(() => undefined));
    },
    async ready() {
      await Promise.all(subscribing);
    },
    async close() {
      subscriber?.disconnect();
    },
  };
}
