/**
 * @tsdl/test-utils: helpers every package's tests share: allClose with
 * stated tolerances, a central finite-difference gradient check and seeded
 * test data.
 */
export { allClose, compareClose, expectAllClose, FLOAT32_TOLERANCE, type Tolerance, type Numbers } from './all-close';
export { gradCheck, type GradCheckOptions } from './grad-check';
export { seededNumbers, seededAwayFrom } from './random-data';
