import { blackfriday as pb } from '@oleada/contracts';
import { z } from 'zod';
import { enumBody, enumName, enumNumber, hasDecimals } from '../enums';
import { intBetween, weightedPick } from '../random';
import { acceptedStatus, InvalidRecordError, type ScenarioDefinition } from '../scenario';
import dataset from './dataset.json';

/** Category names as the spec and the dashboards spell them, in enum order. */
export const CATEGORIES = ['Electronica', 'Ropa', 'Hogar', 'Belleza'] as const;
export type Categoria = (typeof CATEGORIES)[number];

/** Largest accepted unit price (in quetzales) and quantity: beyond them a sale is an input error. */
export const MAX_PRICE = 1_000_000;
export const MAX_QUANTITY = 10_000;
const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The REST body: `categoria` by name or by its enum number (1–4); nothing else is accepted. */
export const saleBody = z.strictObject({
  categoria: enumBody(CATEGORIES),
  producto_id: z.string().regex(PRODUCT_ID, { error: 'must be 1-64 letters, digits, ".", "_" or "-"' }),
  precio: z
    .number()
    .positive()
    .max(MAX_PRICE)
    .refine((p) => hasDecimals(p, 2), { error: 'must have at most 2 decimals' }),
  cantidad_vendida: z.number().int().min(1).max(MAX_QUANTITY),
});
export type SaleBody = z.infer<typeof saleBody>;

/** What the consumer aggregates: the wire message with its category resolved and money in cents. */
export interface SaleRecord {
  readonly categoria: Categoria;
  readonly productoId: string;
  readonly priceCents: number;
  readonly quantity: number;
}

const categoryName = (value: number) => enumName(CATEGORIES, value);

function checkMessage(message: pb.ProductSaleRequest): string | undefined {
  if (categoryName(message.categoria) === undefined) return `categoria ${message.categoria} is not a known category`;
  if (!PRODUCT_ID.test(message.productoId)) return 'producto_id is empty or malformed';
  if (!Number.isFinite(message.precio) || message.precio <= 0 || message.precio > MAX_PRICE) return `precio ${message.precio} is out of range`;
  if (!Number.isInteger(message.cantidadVendida) || message.cantidadVendida < 1 || message.cantidadVendida > MAX_QUANTITY) {
    return `cantidad_vendida ${message.cantidadVendida} is out of range`;
  }
  return undefined;
}

type Dataset = typeof dataset;

export const blackfridayScenario: ScenarioDefinition<SaleBody, pb.ProductSaleRequest, SaleRecord> = {
  name: 'blackfriday',
  title: 'Black Friday sales',
  description: 'Product sales by category during a Black Friday burst.',
  body: saleBody,
  aliases: ['/purchase', '/venta'],
  grpc: {
    service: pb.ProductSaleServiceService,
    method: 'procesarVenta',
    serviceName: 'blackfriday.ProductSaleService',
  },
  toMessage: (body) => ({
    categoria: enumNumber(CATEGORIES, body.categoria),
    productoId: body.producto_id,
    precio: body.precio,
    cantidadVendida: body.cantidad_vendida,
  }),
  checkMessage,
  acceptedResponse: (eventId): pb.ProductSaleResponse => ({ estado: acceptedStatus(eventId) }),
  encode: (message) => pb.ProductSaleRequest.encode(message).finish(),

  topics: ['blackfriday.sales'],
  deadLetterTopic: 'blackfriday.sales.dlq',
  partitions: 6,
  queues: { deadLetter: 'blackfriday.sales.dlq' },
  route: () => 'blackfriday.sales',
  partitionKey: (message) => message.productoId,

  decode(bytes) {
    let message: pb.ProductSaleRequest;
    try {
      message = pb.ProductSaleRequest.decode(bytes);
    } catch (error) {
      throw new InvalidRecordError(`undecodable ProductSaleRequest: ${(error as Error).message}`);
    }
    const problem = checkMessage(message);
    if (problem) throw new InvalidRecordError(problem);
    return {
      categoria: categoryName(message.categoria) as Categoria,
      productoId: message.productoId,
      priceCents: Math.round(message.precio * 100),
      quantity: message.cantidadVendida,
    };
  },
  aggregates: [
    { kind: 'hash', metric: 'reports', title: 'Reports per category', unit: 'reports', fields: CATEGORIES, field: (r) => r.categoria, by: () => 1 },
    { kind: 'hash', metric: 'units', title: 'Units sold per category', unit: 'units', fields: CATEGORIES, field: (r) => r.categoria, by: (r) => r.quantity },
    {
      kind: 'hash',
      metric: 'revenue_cents',
      title: 'Revenue per category',
      unit: 'GTQ',
      scale: 100,
      fields: CATEGORIES,
      field: (r) => r.categoria,
      by: (r) => r.priceCents * r.quantity,
    },
    { kind: 'zset', metric: 'top_products', title: 'Top products by units', unit: 'units', member: (r) => r.productoId, by: (r) => r.quantity },
    { kind: 'min', metric: 'price_min_cents', title: 'Lowest price per category', unit: 'GTQ', scale: 100, fields: CATEGORIES, field: (r) => r.categoria, value: (r) => r.priceCents },
    { kind: 'max', metric: 'price_max_cents', title: 'Highest price per category', unit: 'GTQ', scale: 100, fields: CATEGORIES, field: (r) => r.categoria, value: (r) => r.priceCents },
    { kind: 'counter', metric: 'total', title: 'Total sales events', unit: 'events', by: () => 1 },
    { kind: 'bucket', metric: 'per_minute', title: 'Reports per minute', unit: 'reports', fields: CATEGORIES, field: (r) => r.categoria, by: () => 1 },
  ],
  headline: 'reports',

  dataset,
  sample(random) {
    const data: Dataset = dataset;
    const category = weightedPick(data.categories, random);
    const product = weightedPick(category.products, random);
    const cents = intBetween(Math.round(product.min_price * 100), Math.round(product.max_price * 100), random);
    return {
      categoria: category.categoria as Categoria,
      producto_id: product.producto_id,
      precio: cents / 100,
      cantidad_vendida: intBetween(data.quantity.min, data.quantity.max, random),
    };
  },
};
