export const GATEWAY_OPTIONS = 'GATEWAY_OPTIONS';

/**
 * Key of a scenario route's Fastify route config (`@RouteConfig`): which kind of event route it is.
 * GatewayAdmission gives the routes so marked their body limit and admission hooks.
 */
export const EVENT_ROUTE = 'oleadaEventRoute';

export type EventRouteKind = 'single' | 'batch';
