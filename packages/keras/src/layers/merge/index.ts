export { Merge } from './merge';
export { Add, Subtract, Multiply, Average, Maximum, Minimum } from './elementwise';
export { Concatenate, type ConcatenateArgs } from './concatenate';
export { Dot, type DotArgs } from './dot';
export { add, subtract, multiply, average, maximum, minimum, concatenate, dot } from './functional';
