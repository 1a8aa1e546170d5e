import { weather as pb } from '@oleada/contracts';
import { z } from 'zod';
import { enumBody, enumName, enumNumber, hasDecimals } from '../enums';
import { weightedPick } from '../random';
import { acceptedStatus, InvalidRecordError, type ScenarioDefinition } from '../scenario';
import dataset from './dataset.json';

/** Municipalities and conditions as the seed projects and dashboards spell them, in enum order. */
export const MUNICIPALITIES = ['mixco', 'guatemala', 'amatitlan', 'chinautla'] as const;
export const CONDITIONS = ['sunny', 'cloudy', 'rainy', 'foggy'] as const;
export type Municipality = (typeof MUNICIPALITIES)[number];
export type Condition = (typeof CONDITIONS)[number];

/** Accepted readings: beyond them a report is an input error, not weather. */
export const TEMPERATURE_RANGE = { min: -20, max: 50 } as const;
export const HUMIDITY_RANGE = { min: 0, max: 100 } as const;

const oneDecimal = { error: 'must have at most 1 decimal' };

/** The REST body of one weather report; municipality and weather by name or enum number. */
export const weatherBody = z.strictObject({
  municipality: enumBody(MUNICIPALITIES),
  temperature: z
    .number()
    .min(TEMPERATURE_RANGE.min)
    .max(TEMPERATURE_RANGE.max)
    .refine((t) => hasDecimals(t, 1), oneDecimal),
  humidity: z
    .number()
    .min(HUMIDITY_RANGE.min)
    .max(HUMIDITY_RANGE.max)
    .refine((h) => hasDecimals(h, 1), oneDecimal),
  weather: enumBody(CONDITIONS),
});
export type WeatherBody = z.infer<typeof weatherBody>;

/** What the consumer aggregates: names resolved, readings in integer tenths. */
export interface WeatherRecord {
  readonly municipality: Municipality;
  readonly condition: Condition;
  readonly temperatureTenths: number;
  readonly humidityTenths: number;
}

function inRange(value: number, range: { readonly min: number; readonly max: number }): boolean {
  return Number.isFinite(value) && value >= range.min && value <= range.max && hasDecimals(value, 1);
}

function checkMessage(message: pb.WeatherReportRequest): string | undefined {
  if (enumName(MUNICIPALITIES, message.municipality) === undefined) return `municipality ${message.municipality} is not a known municipality`;
  if (enumName(CONDITIONS, message.weather) === undefined) return `weather ${message.weather} is not a known condition`;
  if (!inRange(message.temperature, TEMPERATURE_RANGE)) return `temperature ${message.temperature} is out of range`;
  if (!inRange(message.humidity, HUMIDITY_RANGE)) return `humidity ${message.humidity} is out of range`;
  return undefined;
}

const tenths = (value: number) => Math.round(value * 10);

export const weatherScenario: ScenarioDefinition<WeatherBody, pb.WeatherReportRequest, WeatherRecord> = {
  name: 'weather',
  title: 'Weather reports',
  description: 'Weather "tweets" from municipalities: condition, temperature and humidity.',
  body: weatherBody,
  aliases: ['/tweet', '/api/weather', '/input'],
  grpc: {
    service: pb.WeatherServiceService,
    method: 'sendReport',
    serviceName: 'weather.WeatherService',
  },
  toMessage: (body) => ({
    municipality: enumNumber(MUNICIPALITIES, body.municipality),
    temperature: body.temperature,
    humidity: body.humidity,
    weather: enumNumber(CONDITIONS, body.weather),
  }),
  checkMessage,
  acceptedResponse: (eventId): pb.WeatherReportResponse => ({ status: acceptedStatus(eventId) }),
  encode: (message) => pb.WeatherReportRequest.encode(message).finish(),

  topics: ['weather.reports'],
  deadLetterTopic: 'weather.reports.dlq',
  partitions: 6,
  queues: { deadLetter: 'weather.reports.dlq' },
  route: () => 'weather.reports',
  // Reports of one municipality stay in order.
  partitionKey: (message) => String(message.municipality),

  decode(bytes) {
    let message: pb.WeatherReportRequest;
    try {
      message = pb.WeatherReportRequest.decode(bytes);
    } catch (error) {
      throw new InvalidRecordError(`undecodable WeatherReportRequest: ${(error as Error).message}`);
    }
    const problem = checkMessage(message);
    if (problem) throw new InvalidRecordError(problem);
    return {
      municipality: enumName(MUNICIPALITIES, message.municipality) as Municipality,
      condition: enumName(CONDITIONS, message.weather) as Condition,
      temperatureTenths: tenths(message.temperature),
      humidityTenths: tenths(message.humidity),
    };
  },
  aggregates: [
    { kind: 'hash', metric: 'reports', title: 'Reports per municipality', unit: 'reports', fields: MUNICIPALITIES, field: (r) => r.municipality, by: () => 1 },
    {
      kind: 'hash',
      metric: 'conditions',
      title: 'Reports per condition',
      unit: 'reports',
      fields: CONDITIONS,
      field: (r) => r.condition,
      by: () => 1,
      group: { values: MUNICIPALITIES, of: (r) => r.municipality },
    },
    { kind: 'mean', metric: 'temperature_tenths', title: 'Mean temperature', unit: '°C', scale: 10, fields: MUNICIPALITIES, field: (r) => r.municipality, value: (r) => r.temperatureTenths },
    { kind: 'mean', metric: 'humidity_tenths', title: 'Mean humidity', unit: '%', scale: 10, fields: MUNICIPALITIES, field: (r) => r.municipality, value: (r) => r.humidityTenths },
    { kind: 'min', metric: 'temperature_min_tenths', title: 'Lowest temperature', unit: '°C', scale: 10, fields: MUNICIPALITIES, field: (r) => r.municipality, value: (r) => r.temperatureTenths },
    { kind: 'max', metric: 'temperature_max_tenths', title: 'Highest temperature', unit: '°C', scale: 10, fields: MUNICIPALITIES, field: (r) => r.municipality, value: (r) => r.temperatureTenths },
    { kind: 'counter', metric: 'total', title: 'Total weather reports', unit: 'reports', by: () => 1 },
    { kind: 'bucket', metric: 'per_minute', title: 'Reports per minute', unit: 'reports', fields: MUNICIPALITIES, field: (r) => r.municipality, by: () => 1 },
  ],
  headline: 'reports',

  dataset,
  sample(random) {
    const place = weightedPick(dataset.municipalities, random);
    const condition = weightedPick(place.conditions, random);
    const reading = (range: { min: number; max: number }) => tenths(range.min + random() * (range.max - range.min)) / 10;
    return {
      municipality: place.municipality as Municipality,
      temperature: reading(condition.temperature),
      humidity: reading(condition.humidity),
      weather: condition.weather as Condition,
    };
  },
};
