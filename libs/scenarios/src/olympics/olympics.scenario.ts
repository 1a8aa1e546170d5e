import { olympics as pb } from '@oleada/contracts';
import { z } from 'zod';
import { enumBody, enumName, enumNumber } from '../enums';
import { intBetween, weightedPick } from '../random';
import { acceptedStatus, InvalidRecordError, type ScenarioDefinition } from '../scenario';
import dataset from './dataset.json';

/** Faculties and disciplines as the olympiad project spells them, in enum order. */
export const FACULTIES = ['Ingenieria', 'Agronomia'] as const;
export const DISCIPLINES = ['swimming', 'boxing', 'athletics'] as const;
export type Faculty = (typeof FACULTIES)[number];
export type Discipline = (typeof DISCIPLINES)[number];

/** The two topics the writer chooses between; the topic is the outcome. */
export const OUTCOME_TOPICS = { winners: 'winners', losers: 'losers' } as const;
export type Outcome = keyof typeof OUTCOME_TOPICS;
export const OUTCOMES = Object.keys(OUTCOME_TOPICS) as Outcome[];
/** Chance that the writer declares a participant a winner. */
export const WIN_PROBABILITY = 0.5;

export const AGE_RANGE = { min: 15, max: 80 } as const;
/** Letters (any script), spaces, apostrophes, dots and hyphens; starts with a letter. */
const NAME = /^\p{L}[\p{L}\p{M} .'-]{0,99}$/u;

/** The REST body of one participant; faculty and discipline by name or enum number. */
export const participantBody = z.strictObject({
  name: z.string().regex(NAME, { error: 'must be 1-100 letters, spaces, ".", "\'" or "-", starting with a letter' }),
  age: z.number().int().min(AGE_RANGE.min).max(AGE_RANGE.max),
  faculty: enumBody(FACULTIES),
  discipline: enumBody(DISCIPLINES),
});
export type ParticipantBody = z.infer<typeof participantBody>;

/** What the consumer aggregates: the participant and the outcome the writer chose. */
export interface ParticipantRecord {
  readonly name: string;
  readonly age: number;
  readonly faculty: Faculty;
  readonly discipline: Discipline;
  readonly outcome: Outcome;
}

function checkMessage(message: pb.ParticipantRequest): string | undefined {
  if (!NAME.test(message.name)) return 'name is empty or malformed';
  if (!Number.isInteger(message.age) || message.age < AGE_RANGE.min || message.age > AGE_RANGE.max) return `age ${message.age} is out of range`;
  if (enumName(FACULTIES, message.faculty) === undefined) return `faculty ${message.faculty} is not a known faculty`;
  if (enumName(DISCIPLINES, message.discipline) === undefined) return `discipline ${message.discipline} is not a known discipline`;
  return undefined;
}

function outcomeOf(topic: string): Outcome {
  const outcome = OUTCOMES.find((o) => OUTCOME_TOPICS[o] === topic);
  if (!outcome) throw new InvalidRecordError(`topic ${topic} carries no olympics outcome`);
  return outcome;
}

type Dataset = typeof dataset;

export const olympicsScenario: ScenarioDefinition<ParticipantBody, pb.ParticipantRequest, ParticipantRecord> = {
  name: 'olympics',
  title: 'Olympiad results',
  description: 'Participants of an inter-faculty olympiad; the writer decides who wins.',
  body: participantBody,
  aliases: [],
  grpc: {
    service: pb.OlympicsServiceService,
    method: 'compete',
    serviceName: 'olympics.OlympicsService',
  },
  toMessage: (body) => ({
    name: body.name,
    age: body.age,
    faculty: enumNumber(FACULTIES, body.faculty),
    discipline: enumNumber(DISCIPLINES, body.discipline),
  }),
  checkMessage,
  acceptedResponse: (eventId): pb.ParticipantResponse => ({ status: acceptedStatus(eventId) }),
  encode: (message) => pb.ParticipantRequest.encode(message).finish(),

  topics: [OUTCOME_TOPICS.winners, OUTCOME_TOPICS.losers],
  deadLetterTopic: 'olympics.dlq',
  partitions: 6,
  queues: { deadLetter: 'olympics.dlq' },
  route: (_message, random) => (random() < WIN_PROBABILITY ? OUTCOME_TOPICS.winners : OUTCOME_TOPICS.losers),
  partitionKey: (message) => message.name,

  decode(bytes, meta) {
    let message: pb.ParticipantRequest;
    try {
      message = pb.ParticipantRequest.decode(bytes);
    } catch (error) {
      throw new InvalidRecordError(`undecodable ParticipantRequest: ${(error as Error).message}`);
    }
    const problem = checkMessage(message);
    if (problem) throw new InvalidRecordError(problem);
    return {
      name: message.name,
      age: message.age,
      faculty: enumName(FACULTIES, message.faculty) as Faculty,
      discipline: enumName(DISCIPLINES, message.discipline) as Discipline,
      outcome: outcomeOf(meta.topic),
    };
  },
  aggregates: [
    { kind: 'hash', metric: 'results', title: 'Winners and losers', unit: 'participants', fields: OUTCOMES, field: (r) => r.outcome, by: () => 1 },
    {
      kind: 'hash',
      metric: 'by_faculty',
      title: 'Per faculty',
      unit: 'participants',
      fields: FACULTIES,
      field: (r) => r.faculty,
      by: () => 1,
      group: { values: OUTCOMES, of: (r) => r.outcome },
    },
    {
      kind: 'hash',
      metric: 'by_discipline',
      title: 'Per discipline',
      unit: 'participants',
      fields: DISCIPLINES,
      field: (r) => r.discipline,
      by: () => 1,
      group: { values: OUTCOMES, of: (r) => r.outcome },
    },
    { kind: 'mean', metric: 'age', title: 'Mean age per faculty', unit: 'years', fields: FACULTIES, field: (r) => r.faculty, value: (r) => r.age },
    { kind: 'counter', metric: 'total', title: 'Total participants', unit: 'participants', by: () => 1 },
    { kind: 'bucket', metric: 'per_minute', title: 'Results per minute', unit: 'participants', fields: OUTCOMES, field: (r) => r.outcome, by: () => 1 },
  ],
  headline: 'results',

  dataset,
  sample(random) {
    const data: Dataset = dataset;
    const first = data.first_names[Math.floor(random() * data.first_names.length)];
    const last = data.last_names[Math.floor(random() * data.last_names.length)];
    return {
      name: `${first} ${last}`,
      age: intBetween(data.age.min, data.age.max, random),
      faculty: weightedPick(data.faculties, random).faculty as Faculty,
      discipline: weightedPick(data.disciplines, random).discipline as Discipline,
    };
  },
};
