export * from './reduction';
export * from './regression';
export * from './binary';
export * from './classification';
export * from './modules';
export * from './kl-div';
