export * from './fans';
export * from './initializers';
export * from './identity';
