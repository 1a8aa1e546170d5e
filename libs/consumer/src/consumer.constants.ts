/** Injection tokens of the consumer module. */
export const CONSUMER_OPTIONS = 'CONSUMER_OPTIONS';
export const VALKEY = 'VALKEY';
export const DEAD_LETTERS = 'DEAD_LETTERS';
export const EVENT_SUBSCRIBER = 'EVENT_SUBSCRIBER';
