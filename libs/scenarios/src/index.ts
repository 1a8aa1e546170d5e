export * from './blackfriday/blackfriday.scenario';
export * from './enums';
export * from './olympics/olympics.scenario';
export * from './random';
export * from './registry';
export * from './scenario';
export * from './weather/weather.scenario';
