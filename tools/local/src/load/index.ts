export * from './expected';
export * from './poison';
export * from './post-events';
export * from './scrape';
export * from './wait-counted';
export * from './wait-for';
export * from './proc';
