export * from './fans';
export * from './initializers';
