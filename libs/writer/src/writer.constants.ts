/** Injection tokens of the writer module. */
export const WRITER_OPTIONS = 'WRITER_OPTIONS';
export const EVENT_PUBLISHER = 'EVENT_PUBLISHER';
